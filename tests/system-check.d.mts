// Types of system-check.mjs (plain JavaScript: it runs before anything can load TypeScript).
/** Debian package → the file that shows it is installed. */
export declare const SYSTEM_PACKAGES: Readonly<Record<'chromium' | 'xvfb' | 'xauth' | 'postgresql' | 'nats-server', string>>;
/** The one line naming what to install, or null when every package (of `only`) is there. */
export declare function missingSystemPackages(only?: (keyof typeof SYSTEM_PACKAGES)[]): string | null;
