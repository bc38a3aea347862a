import cliProgress from 'cli-progress';

/**
 * Where `ingest`'s progress goes. On a terminal (stderr a TTY), one redrawn line with a bar; else a
 * plain line each time another quarter of the work is done, so a log of the run holds a handful of
 * lines, not hundreds. Disabled (--no-progress): nothing.
 */
export interface ProgressOutput {
  /** `render(barWidth)`: the line now (barWidth 0 off a terminal); `reached`: its quarter of the work, 0–4 (progressLine.quarter). */
  show(render: (barWidth: number) => string, reached: number): void;
  stop(): void;
}

const BAR_WIDTH = 24;

export function progressOutput(mode: 'off' | 'terminal' | 'plain', stream: NodeJS.WriteStream = process.stderr): ProgressOutput {
  if (mode === 'off') return { show: () => undefined, stop: () => undefined };
  if (mode === 'plain') {
    let printed = 0;
    return {
      show(render, reached) {
        if (reached <= printed) return;
        printed = reached;
        stream.write(`${render(0)}\n`);
      },
      stop: () => undefined,
    };
  }
  // cli-progress draws, throttles and clears; the text is ours (its own placeholders and ETA are not used).
  const bar = new cliProgress.SingleBar({
    format: (_options, _params, payload: { line?: string }) => payload.line ?? '',
    stream,
    hideCursor: true,
    clearOnComplete: false,
  });
  let started = false;
  return {
    show(render) {
      const line = render(BAR_WIDTH);
      if (!started) bar.start(1, 0, { line });
      else bar.update(0, { line });
      started = true;
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/** A terminal bar only when stderr is a terminal; plain lines otherwise. */
export function progressMode(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): 'off' | 'terminal' | 'plain' {
  if (!enabled) return 'off';
  return stream.isTTY ? 'terminal' : 'plain';
}
