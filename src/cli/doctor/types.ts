import { execFile } from 'node:child_process';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

/** One line of `maxproxy doctor`. */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** On fail/warn: exactly what to do. */
  fix?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}
/** Runs a program; never throws (a missing program is code 127). */
export type Runner = (file: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs?: number) => Promise<RunResult>;

export const execRunner: Runner = (file, args, env, timeoutMs = 15_000) =>
  new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && code === 127 ? err.message : '')) });
    });
  });

/** What the checks look at; every part can be replaced in tests. */
export interface DoctorEnv {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  arch: string;
  nodeVersion: string;
  home: string;
  run: Runner;
}

export const pass = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'pass', detail });
export const fail = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'fail', detail, fix });
export const warn = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'warn', detail, fix });
export const skip = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'skip', detail });
