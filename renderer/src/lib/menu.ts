// The WAI-ARIA menu-button mechanics shared by the chat options and message actions menus: ↓/Enter/Space on the
// button open on the first item, ↑ on the last; in the menu the arrows move (wrapping), Home/End jump, Escape
// closes back to the button, Tab leaves it closed. The components keep their own markup and open state.

/** The menu's items, in order (none while it is closed). */
export function menuEntries(menu: HTMLElement | undefined): HTMLElement[] {
  return menu ? [...menu.querySelectorAll<HTMLElement>('[role="menuitem"]')] : [];
}

/** Focuses the first or the last item (call once the open menu is rendered). */
export function focusMenuEdge(menu: HTMLElement | undefined, focus: 'first' | 'last'): void {
  const all = menuEntries(menu);
  (focus === 'first' ? all[0] : all[all.length - 1])?.focus();
}

/** The menu button's keydown: ↓ opens on the first item, ↑ on the last. */
export function onMenuButtonKey(e: KeyboardEvent, show: (focus: 'first' | 'last') => unknown): void {
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    void show(e.key === 'ArrowDown' ? 'first' : 'last');
  }
}

/** The open menu's keydown. `close(refocus)` closes it, moving focus back to the button when asked. */
export function onMenuKey(e: KeyboardEvent, all: HTMLElement[], close: (refocus: boolean) => void): void {
  const i = all.indexOf(document.activeElement as HTMLElement);
  const move = (to: number) => { e.preventDefault(); all[(to + all.length) % all.length]?.focus(); };
  switch (e.key) {
    case 'ArrowDown': move(i + 1); break;
    case 'ArrowUp': move(i - 1); break;
    case 'Home': move(0); break;
    case 'End': move(all.length - 1); break;
    case 'Escape': e.preventDefault(); e.stopPropagation(); close(true); break;
    case 'Tab': close(false); break;
  }
}

/** A pointer press outside both the menu and its button (it closes the menu, focus staying where it went). */
export function pressedOutside(e: PointerEvent, menu: HTMLElement | undefined, button: HTMLElement | undefined): boolean {
  return !menu?.contains(e.target as Node) && !button?.contains(e.target as Node);
}
