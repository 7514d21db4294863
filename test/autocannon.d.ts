// The part of autocannon's API (README "API" and "Results") that test/mock-abuse.test.ts uses;
// the package ships no typings.
declare module 'autocannon' {
  interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }
  interface Options {
    url: string;
    connections?: number;
    amount?: number;
    timeout?: number;
    requests?: Request[];
  }
  interface Result {
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    '5xx': number;
    statusCodeStats: Record<string, { count: number | string }>;
  }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
