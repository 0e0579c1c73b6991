// What the attachment code decides without the network: content types from file names, which files are
// programs (never opened automatically), safe names for saving a file a colleague named, and image sizes.
import { basename, extname } from 'node:path';

const TYPES: Record<string, string> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', json: 'application/json', xml: 'application/xml', html: 'text/html',
  pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip', tar: 'application/x-tar', '7z': 'application/x-7z-compressed',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', svg: 'image/svg+xml', heic: 'image/heic',
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', m4a: 'audio/mp4', mp4: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm',
  doc: 'application/msword', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  ppt: 'application/vnd.ms-powerpoint', pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text', ods: 'application/vnd.oasis.opendocument.spreadsheet', rtf: 'application/rtf',
};

/** The content type a file name suggests ('application/octet-stream' when nothing does). */
export function contentTypeFor(fileName: string): string {
  return TYPES[extname(fileName).slice(1).toLowerCase()] ?? 'application/octet-stream';
}

const PROGRAM_EXTENSIONS = new Set([
  'exe', 'msi', 'msp', 'msix', 'appx', 'bat', 'cmd', 'com', 'scr', 'pif', 'cpl', 'msc', 'hta', 'jar', 'js', 'jse', 'vbs', 'vbe', 'vb', 'wsf',
  'wsh', 'ps1', 'psm1', 'reg', 'lnk', 'url', 'dll', 'sys', 'sh', 'bash', 'zsh', 'csh', 'ksh', 'command', 'tool', 'app', 'pkg', 'dmg', 'run',
  'bin', 'elf', 'so', 'dylib', 'deb', 'rpm', 'appimage', 'flatpakref', 'snap', 'desktop', 'py', 'pyw', 'pl', 'rb', 'php', 'apk', 'iso', 'img',
  'workflow', 'scpt', 'applescript', 'xll', 'xlam', 'docm', 'xlsm', 'pptm', 'svg', 'html', 'htm', 'xhtml', 'mht', 'chm', 'application', 'gadget',
]);
const PROGRAM_TYPES = /^application\/(x-msdownload|x-ms-installer|x-msi|x-executable|x-elf|x-sharedlib|x-mach-binary|x-sh|x-shellscript|x-csh|x-bat|x-msdos-program|java-archive|x-java-archive|vnd\.microsoft\.portable-executable|x-apple-diskimage|vnd\.android\.package-archive|hta|x-python|javascript|x-javascript|ecmascript|x-powershell)$|^text\/(javascript|x-python|x-shellscript|x-sh|html)$|^image\/svg\+xml$/i;

/**
 * Whether a file can run code when opened (a program, a script, an installer, a document with macros, or
 * markup a browser would run): the UI never opens such a file by itself and asks before saving it. Either the
 * name or the type is enough: a sender chooses both.
 */
export function isExecutable(fileName: string, contentType: string): boolean {
  const name = fileName.trim().toLowerCase().replace(/[.\s]+$/, '');
  const exts = name.split('.').slice(1);
  return exts.some((e) => PROGRAM_EXTENSIONS.has(e)) || PROGRAM_TYPES.test(contentType.trim());
}

/**
 * A name safe to create in a folder from a name someone else chose: no folders ('../x'), no control,
 * bidirectional or invisible characters, no leading dots (hidden files), no names Windows reserves.
 */
export function safeFileName(fileName: string): string {
  let n = basename(fileName.replace(/\\/g, '/'))
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '')
    .replace(/[<>:"/\\|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i.test(n)) n = `_${n}`;
  if (n.length === 0) n = 'file';
  // At most 200 UTF-16 units, keeping the extension.
  if (n.length > 200) {
    const ext = extname(n).slice(0, 20);
    n = n.slice(0, 200 - ext.length) + ext;
  }
  return n;
}

/** The name part of a path for the message: at most 255 characters, never empty. */
export function pointerFileName(path: string): string {
  const n = basename(path).replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255);
  return n.length > 0 ? n : 'file';
}

/** Width and height of a PNG, GIF or JPEG from its first bytes, so a UI can reserve space before decoding. */
export function imageSize(head: Buffer): { width: number; height: number } | undefined {
  const ok = (width: number, height: number) => (width >= 1 && height >= 1 && width <= 100_000 && height <= 100_000 ? { width, height } : undefined);
  if (head.length >= 24 && head.readUInt32BE(0) === 0x89504e47 && head.toString('latin1', 12, 16) === 'IHDR') {
    return ok(head.readUInt32BE(16), head.readUInt32BE(20));
  }
  if (head.length >= 10 && /^GIF8[79]a$/.test(head.toString('latin1', 0, 6))) return ok(head.readUInt16LE(6), head.readUInt16LE(8));
  if (head.length >= 4 && head[0] === 0xff && head[1] === 0xd8) {
    let i = 2;
    while (i + 9 < head.length) {
      if (head[i] !== 0xff) return undefined;
      const marker = head[i + 1]!;
      const len = head.readUInt16BE(i + 2);
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return ok(head.readUInt16BE(i + 7), head.readUInt16BE(i + 5));
      }
      i += 2 + len;
    }
  }
  return undefined;
}
