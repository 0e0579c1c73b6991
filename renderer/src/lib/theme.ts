// The colour theme: the OS's (prefers-color-scheme, styles/theme.css) unless chosen in Settings. A display
// preference of this window only, so it is kept in the page's storage, not in the encrypted store.
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'parley.theme';

export function savedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system'; // storage unavailable: follow the OS
  }
}

export function applyTheme(choice: ThemeChoice = savedTheme()): void {
  if (choice === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}

export function chooseTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // not kept across restarts, still applied now
  }
  applyTheme(choice);
}
