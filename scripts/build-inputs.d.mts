// Types of scripts/build-inputs.mjs, for test/global-setup.ts.
export declare const STAMP: string;
export declare function inputsSha256(root: string): string;
