// Names people see in lists (group names, device names): one Unicode form, and nothing that can disguise or hide
// them (finding 10) — no C0/C1 controls (NUL, newlines, escape sequences), no lone surrogates, no line or
// paragraph separators, no bidirectional embeddings, overrides or isolates (a U+202E can make "gnp.exe" read as
// "exe.png"), and at least one visible character (zero-width or other invisible-only text looks empty).
// Emoji sequences keep their joiners (U+200D) and scripts written right to left are untouched.
import { ApiError } from './errors.ts';

const FORBIDDEN = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const INVISIBLE = /[\s\p{Default_Ignorable_Code_Point}]/gu;

/** NFC, trimmed, checked; 400 invalid_name naming `what` otherwise. */
export function cleanName(raw: string, what: string, maxChars: number): string {
  const name = raw.normalize('NFC').trim();
  if (FORBIDDEN.test(name)) {
    throw new ApiError('invalid_name', `${what} contains a control, line-separator or bidirectional-override character.`);
  }
  if (name.replace(INVISIBLE, '') === '') throw new ApiError('invalid_name', `${what} has no visible character.`);
  if (name.length > maxChars) throw new ApiError('invalid_name', `${what} is longer than ${maxChars} characters.`);
  return name;
}
