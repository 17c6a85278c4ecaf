// The part of autocannon's API bench:track uses (the package ships no types).
declare module 'autocannon' {
  interface Request { method?: string; path?: string; headers?: Record<string, string>; body?: string }
  interface Options {
    url: string; connections?: number; duration?: number; headers?: Record<string, string>;
    requests?: Array<Request & { setupRequest?: (req: Request) => Request }>;
  }
  interface Result {
    requests: { average: number }; latency: { p99: number; p50: number };
    '2xx': number; non2xx: number; errors: number; timeouts: number;
  }
  export default function autocannon(opts: Options): Promise<Result>;
}
