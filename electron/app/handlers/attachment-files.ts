// Received files meet the local machine here. A file's name, type and bytes come from the sender, who may
// be hostile: the name becomes one safe path segment (no directories, no control or bidi characters that
// would disguise "invoice‮fdp.exe" as "invoice.pdf"), programs and scripts are recognised by name and type
// (never opened, only saved), and an "image" is previewed only when its bytes are one of four picture
// formats — never SVG or anything a browser would interpret.
import { extname } from 'node:path';
import { isExecutable } from '../../core/attachments/attachments.ts';

/** Control characters, bidi embeddings/overrides/isolates, zero-width and other invisible format characters. */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb]/gu;
/** Reserved on Windows, also when shared through a network drive. */
const RESERVED = /[<>:"/\\|?*]/g;
const WINDOWS_DEVICES = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/** One safe file name (no path), at most 200 characters with its extension kept; 'file' when nothing is left. */
export function safeFileName(name: string): string {
  let n = name.normalize('NFC').replace(INVISIBLE, '').replace(RESERVED, '_').trim();
  n = n.replace(/^[.\s]+/, '').replace(/[.\s]+$/, ''); // no hidden files, no Windows trailing dots/spaces
  if (WINDOWS_DEVICES.test(n)) n = `_${n}`;
  if (n.length > 200) {
    const ext = extname(n).slice(0, 20);
    n = n.slice(0, 200 - ext.length) + ext;
  }
  return n === '' ? 'file' : n;
}

/** Extensions that run code when opened (Windows, macOS, Linux desktops, interpreters, installers, shortcuts). */
const EXECUTABLE_EXTENSIONS = new Set([
  'exe', 'com', 'scr', 'pif', 'cpl', 'msi', 'msp', 'mst', 'msc', 'bat', 'cmd', 'ps1', 'psm1', 'psd1', 'ps1xml', 'vb', 'vbs', 'vbe', 'js', 'jse',
  'mjs', 'cjs', 'wsf', 'wsh', 'wsc', 'hta', 'jar', 'jnlp', 'lnk', 'url', 'scf', 'reg', 'inf', 'application', 'gadget', 'appx', 'msix',
  'appxbundle', 'msixbundle', 'dll', 'sys', 'ocx', 'chm', 'hlp', 'iso', 'img', 'vhd', 'vhdx', 'library-ms', 'settingcontent-ms', 'xll', 'xlam',
  'ppam', 'docm', 'dotm', 'xlsm', 'xltm', 'pptm', 'potm', 'app', 'command', 'tool', 'pkg', 'mpkg', 'dmg', 'workflow', 'terminal', 'webloc',
  'sh', 'bash', 'zsh', 'csh', 'ksh', 'fish', 'run', 'bin', 'elf', 'so', 'dylib', 'out', 'appimage', 'flatpak', 'flatpakref', 'snap', 'deb', 'rpm',
  'desktop', 'py', 'pyw', 'pyc', 'pl', 'rb', 'php', 'lua', 'tcl', 'apk', 'xapk', 'ipa', 'swf', 'html', 'htm', 'xhtml', 'svg', 'mht', 'mhtml',
]);
const EXECUTABLE_TYPES = /^application\/(x-(ms)?dos-?executable|x-msdownload|x-executable|x-elf|x-mach-?o|x-sh|x-shellscript|x-csh|x-bat|x-msi|x-ms-installer|x-ms-shortcut|java-archive|x-java-archive|vnd\.microsoft\.portable-executable|x-apple-diskimage|vnd\.android\.package-archive|x-python|x-perl|x-ruby|javascript|x-javascript|ecmascript|hta|x-ms-application|vnd\.ms-cab-compressed)$|^text\/(javascript|x-python|x-shellscript|x-sh|html|ecmascript|vbscript)$|^image\/svg\+xml$/i;

/**
 * A program, script, installer, shortcut or active document: opening it could run code. Judged on the
 * name as the OS would see it after cleaning (safeFileName) and on the claimed type; either is enough.
 * HTML and SVG count too: opened from disk they run script in a browser with file:// access.
 */
export function isExecutableFile(fileName: string, contentType: string): boolean {
  const clean = safeFileName(fileName).toLowerCase();
  const ext = extname(clean).slice(1);
  // "report.pdf.exe" ends in .exe; a name that is all extension (".bashrc" → "bashrc") has none.
  // The core's own judgement too (it also counts a program extension anywhere in the name: "x.exe.pdf").
  return (ext !== '' && EXECUTABLE_EXTENSIONS.has(ext)) || EXECUTABLE_TYPES.test(contentType.trim()) || isExecutable(fileName, contentType);
}

/** The picture formats previewed inline. */
export const PREVIEW_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

export function isPreviewableType(contentType: string): boolean {
  return PREVIEW_TYPES.has(contentType.toLowerCase());
}

/** What the bytes really are (by their magic numbers), or null when not one of the four picture formats. */
export function sniffImage(bytes: Uint8Array): string | null {
  const at = (i: number, ...xs: number[]) => xs.every((x, k) => bytes[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  return null;
}
