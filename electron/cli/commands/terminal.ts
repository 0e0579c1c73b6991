// Text for a person's terminal. Almost everything the CLI prints comes partly from others: message text,
// names and emails from the directory, group and device names, reasons, the server's error messages. A
// terminal obeys control characters inside them (a newline fakes a second message, ESC[2J clears the
// screen, OSC 52 writes the clipboard, bidi overrides reorder what is read), so every line is written
// through say()/sayErr(), which turn them into visible escapes (\n, \x1b, \u202e). JSON output keeps
// JSON.stringify's escaping and also escapes what JSON leaves raw (DEL, C1 controls, U+2028/2029, bidi).

/** C0 and C1 controls, DEL, line/paragraph separators and the bidi controls. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const hex = (c: string, width: number) => c.codePointAt(0)!.toString(16).padStart(width, '0');

function visible(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return c.codePointAt(0)! <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
}

/** One line as it may reach a terminal: no control character survives. */
export function clean(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** Writes one line (cleaned) to stdout. */
export function say(line: string): void {
  process.stdout.write(`${clean(line)}\n`);
}

/** Writes one line (cleaned) to stderr. */
export function sayErr(line: string): void {
  process.stderr.write(`${clean(line)}\n`);
}

/** One JSON value per line; parses to the same value, but nothing in it can steer a terminal. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(RAW_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}

export function sayJson(value: unknown): void {
  process.stdout.write(`${jsonLine(value)}\n`);
}

/** Warnings of the client core ("parley: warning: …"), cleaned like everything else. */
export const warn = (line: string): void => sayErr(`parley: ${line}`);
