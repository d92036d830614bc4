// The part of madge's API the layout test uses (the package ships no types).
declare module 'madge' {
  interface MadgeResult {
    obj(): Record<string, string[]>;
    circular(): string[][];
  }
  function madge(path: string | string[], config?: { fileExtensions?: string[]; tsConfig?: string }): Promise<MadgeResult>;
  export = madge;
}
