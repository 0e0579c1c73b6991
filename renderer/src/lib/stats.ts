// What the statistics views share (admin console › Company, the user's Statistics dialog, StatsChart): the periods
// offered and the theme's colours for the chart (read from the CSS variables, a fallback when one is unset).

/** The periods offered, in days. */
export const STATS_PERIODS: readonly number[] = [7, 30, 90];

export const cssColor = (name: string, fallback: string): string =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
