// Types of compile.mjs (plain JavaScript so that it runs before anything can load TypeScript).
export declare const ROOT: string;
/** dist/cli: the compiled command-line entry points. */
export declare const OUT_DIR: string;
/** Output name → TypeScript source, relative to the repository root. */
export declare const ENTRIES: Readonly<Record<'parley' | 'parley-app' | 'parley-release' | 'parley-server' | 'start', string>>;
export declare function compile(opts?: { clean?: boolean }): Promise<void>;
/** Why dist/cli must be rebuilt, or null when it is up to date. */
export declare function staleReason(): string | null;
/** The file URL of a compiled entry, rebuilt first when missing or stale. */
export declare function compiled(name: keyof typeof ENTRIES): Promise<string>;
export declare function run(name: keyof typeof ENTRIES): Promise<void>;
