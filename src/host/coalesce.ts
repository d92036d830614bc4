/** Runs `fn` once, `ms` after the first call of a burst: a burst of deltas is one redraw. */
export interface Coalesced {
  schedule(): void;
  dispose(): void;
}

export function coalesce(fn: () => void, ms: number): Coalesced {
  let timer: NodeJS.Timeout | undefined;
  return {
    schedule() {
      timer ??= setTimeout(() => {
        timer = undefined;
        fn();
      }, ms);
    },
    dispose() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
