// How much memory a worker may hold in garbage. A sending worker keeps little alive (about 80 MB:
// the code and the compiled templates) but allocates fast, since every message is rendered and
// encoded, and most of it dies within a batch. By default V8 lets the heap grow to up to four
// times what its last full collection kept before it runs another one, so peak RSS during a send
// was mostly garbage (bench:send at 20,000 members: 472 MB peak with 78 MB alive). Bounding the
// growth trades a few more full collections, which V8 marks concurrently on another thread, for a
// peak that follows what is alive. bench:send measures both.
import { setFlagsFromString } from 'node:v8';

/**
 * Let the heap grow by at most `percent` past what the last full collection kept (0 leaves V8's
 * default). V8 reads this setting each time it sets the next collection's threshold, so it takes
 * effect from the next collection on, for the whole process.
 */
export function boundHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}
