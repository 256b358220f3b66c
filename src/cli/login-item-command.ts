import type { Config } from '../config/defaults.js';
import { disableLoginItem, enableLoginItem, loginItemStatus } from '../desktop/login-item.js';

/** `maxproxy login-item enable|disable|status [--systemd]`. */
export async function loginItemCommand(args: string[], config: Config): Promise<number> {
  const systemd = args.includes('--systemd');
  const action = args.find((a) => !a.startsWith('--')) ?? 'status';
  const opts = { dataDir: config.dataDir, systemd };
  try {
    if (action === 'enable') {
      const r = await enableLoginItem(opts);
      process.stdout.write(`start at login enabled: ${JSON.stringify(r)}\n`);
    } else if (action === 'disable') {
      const r = await disableLoginItem(opts);
      process.stdout.write(`start at login disabled: ${JSON.stringify(r)}\n`);
    } else if (action === 'status') {
      const s = await loginItemStatus(opts);
      process.stdout.write(`${s.enabled ? 'enabled' : 'disabled'} (${s.mechanism}) ${s.path}${s.upToDate ? '' : ' — out of date, run enable again'}\n`);
    } else {
      process.stderr.write('usage: maxproxy login-item enable|disable|status [--systemd]\n');
      return 2;
    }
    return 0;
  } catch (e) {
    process.stderr.write(`maxproxy: ${(e as Error).message}\n`);
    return 1;
  }
}
