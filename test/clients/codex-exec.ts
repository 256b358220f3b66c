/**
 * One `codex exec --json` run against the test proxy, for the tests that drive the real
 * Codex binary: a private HOME and CODEX_HOME, a custom `maxproxy` provider on the
 * Responses API, and Codex's own `gpt-5.5` catalog entry under the test's model name (a
 * custom provider's model takes its entry from the file `model_catalog_json` names).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../harness.js';
import { bundledCatalog, codexNative, type InstalledClient } from './install-client.js';

export interface CodexExecOptions {
  baseURL: string;
  model: string;
  prompt: string;
  /** Codex's sandbox mode; it decides more than file access (live web search, for one). */
  sandbox: 'danger-full-access' | 'workspace-write';
  /** More top-level config.toml lines, e.g. `web_search = "live"`. */
  config?: string[];
  /** Files to create in the working directory first. */
  files?: Record<string, string>;
}

export interface CodexExecResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The JSON events Codex printed. */
  events: any[];
  /** Status, stdout and the end of stderr, for assertion messages. */
  diagnostics: string;
  /** The working directory Codex ran in. */
  work: string;
  /** The catalog entry the model was given (Codex's gpt-5.5), for the test to check what it relies on. */
  catalogEntry: Record<string, unknown> | undefined;
}

export async function codexExec(codex: InstalledClient & { ok: true }, o: CodexExecOptions): Promise<CodexExecResult> {
  const home = tempDir('maxproxy-codex-home-');
  const codexHome = path.join(home, '.codex');
  fs.mkdirSync(codexHome, { recursive: true });
  const work = tempDir('maxproxy-codex-work-');
  for (const [name, text] of Object.entries(o.files ?? {})) fs.writeFileSync(path.join(work, name), text);

  const catalogEntry = bundledCatalog(codexNative(codex)).models.find((m) => m.slug === 'gpt-5.5');
  const catalog = path.join(codexHome, 'catalog.json');
  fs.writeFileSync(catalog, JSON.stringify({ models: [{ ...catalogEntry, slug: o.model, display_name: o.model, prefer_websockets: false }] }));
  fs.writeFileSync(
    path.join(codexHome, 'config.toml'),
    [
      `model = "${o.model}"`,
      'model_provider = "maxproxy"',
      `model_catalog_json = ${JSON.stringify(catalog)}`,
      ...(o.config ?? []),
      'approval_policy = "never"',
      `sandbox_mode = "${o.sandbox}"`,
      'check_for_update_on_startup = false',
      '',
      '[model_providers.maxproxy]',
      'name = "maxproxy"',
      `base_url = "${o.baseURL}"`,
      'wire_api = "responses"',
      '',
    ].join('\n'),
  );

  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CODEX_HOME: codexHome };
  for (const k of ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'XDG_CONFIG_HOME']) delete env[k];
  // Asynchronously: the mock upstream lives in the test process, so a synchronous spawn
  // would freeze it and the CLI's request would never be answered.
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = execFile(
      codex.bin,
      ['exec', '--skip-git-repo-check', '--json', '-C', work, o.prompt],
      { env, cwd: work, encoding: 'utf8', timeout: 400_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
  const events = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const diagnostics = `status ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr?.slice(-4000)}`;
  return { ...r, events, diagnostics, work, catalogEntry };
}
