import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessGroups } from './process-group.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'maxproxy-pg-'));
const alive = (pid: number) => {
  try {
    return !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
const waitGone = async (pid: number) => {
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 25));
};
const cleanup: number[] = [];
afterEach(() => {
  for (const pid of cleanup.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

describe.runIf(process.platform === 'linux')('ProcessGroups', () => {
  it('removes a pid file synchronously, by the time anyone else hears of the exit', async () => {
    const dir = tmp();
    const groups = new ProcessGroups(dir, 'none');
    const child = groups.spawn({ command: '/bin/sleep', args: ['30'], env: { PATH: process.env.PATH } });
    const file = path.join(dir, String(child.pid));
    expect(fs.existsSync(file)).toBe(true);
    const seen = new Promise<boolean>((resolve) => child.once('exit', () => resolve(fs.existsSync(file))));
    child.kill('SIGKILL');
    expect(await seen).toBe(false);
  });

  it('reaps a process a crashed run recorded, with its group', async () => {
    const dir = tmp();
    const crashed = new ProcessGroups(dir, 'none');
    const child = crashed.spawn({ command: '/bin/sleep', args: ['30'], env: { PATH: process.env.PATH } });
    cleanup.push(child.pid!);
    const reaped = new ProcessGroups(dir, 'none').reapOrphans();
    expect(reaped).toEqual([child.pid]);
    await waitGone(child.pid!);
    expect(alive(child.pid!)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('spares a process whose pid was recorded but which is not the process recorded', async () => {
    const dir = tmp();
    const decoy = spawn('bash', ['-c', 'exec -a my-own-claude-session sleep 30'], { detached: true, stdio: 'ignore' });
    cleanup.push(decoy.pid!);
    await new Promise((r) => setTimeout(r, 200));
    const records = [
      // what older versions wrote: a name the decoy's command line contains
      { pid: decoy.pid, command: '/opt/x/claude', startedAt: Date.now() },
      // the right executable but another start time (a reused pid)
      { pid: decoy.pid, command: '/bin/sleep', startedAt: Date.now(), start: 'other-boot:1', exe: fs.realpathSync('/bin/sleep') },
    ];
    for (const rec of records) {
      fs.writeFileSync(path.join(dir, String(decoy.pid)), JSON.stringify(rec));
      expect(new ProcessGroups(dir, 'none').reapOrphans()).toEqual([]);
      expect(alive(decoy.pid!)).toBe(true);
      expect(fs.readdirSync(dir)).toEqual([]);
    }
  });

  it.each(['pdeathsig', 'watchdog'] as const)(
    '%s: a CLI started by a daemon that is SIGKILLed dies with it',
    async (tie) => {
      const dir = tmp();
      const script = `
      const { ProcessGroups } = await import(${JSON.stringify(new URL('./process-group.ts', import.meta.url).href)});
      const g = new ProcessGroups(${JSON.stringify(dir)}, ${JSON.stringify(tie)});
      const c = g.spawn({ command: '/bin/sleep', args: ['60'], env: { PATH: process.env.PATH } });
      process.stdout.write(String(c.pid) + '\\n');
      setInterval(() => {}, 1000);`;
      const daemon = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const pid = await new Promise<number>((resolve) => daemon.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
      cleanup.push(pid);
      expect(alive(pid)).toBe(true);
      daemon.kill('SIGKILL');
      await waitGone(pid);
      expect(alive(pid)).toBe(false);
    },
    60_000,
  );
});
