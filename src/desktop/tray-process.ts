// Over 400 lines on purpose: the tray binary's whole line protocol and process life in one typed client;
// finding the binary and its start errors live in tray-binary.ts and tray-start-error.ts.
/**
 * A typed client for the tray program that systray2 2.1.4 ships (traybin/tray_*_release,
 * Go, getlantern/systray v1.1.0). We drive the binary directly and never load systray2's
 * JS wrapper, whose defects are listed in docs/facts/systray2.md.
 *
 * The binary's line protocol (JSON, one object per line):
 *   ← {"type":"ready"}                         once, after the native tray is up
 *   → {icon, title, tooltip, isTemplateIcon, items:[{title, tooltip, enabled, checked,
 *      hidden, items, __id}]}                   the whole menu, once; it cannot grow later
 *   → {"type":"update-item", item:{…,__id}, seq_id:-1}
 *                                               seq_id must be -1 to address the item by
 *                                               __id (0 would hit the first item); showing
 *                                               an item also shows the children it lists
 *   → {"type":"update-menu", menu:{icon, title, tooltip, isTemplateIcon}}
 *                                               only icon/title/tooltip are applied
 *   → {"type":"exit"}                           quit (closing stdin also quits)
 *   ← {"type":"clicked", item, seq_id, __id}    a click, including on a submenu parent
 * A title of "<SEPARATOR>" makes a separator, which can never be updated or hidden.
 *
 * Platform notes:
 * - Linux: needs a display plus libgtk-3-0 and libayatana-appindicator3-1. Its menu items
 *   are plain GTK items, so `checked` is not drawn: we prefix "✓ " to checked titles,
 *   recomputed from the model on every update (never appended and stripped like the
 *   wrapper's " (√)"). The shipped binary is x86-64 only.
 * - macOS: the shipped binary is x86_64 only and unsigned. On Apple silicon it runs under
 *   Rosetta 2 (not signing is fine for x86_64 code; without Rosetta, spawn fails with
 *   "bad CPU type" and we say how to install it). Checked items get a native checkmark.
 *   Icons are template images (black + alpha) tinted by the menu bar.
 */
import { type ChildProcess, spawn as nodeSpawn, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import readline from 'node:readline';
import { type Logger, silentLogger } from './logger.js';
import type { MenuItem, MenuModel, TrayIconName } from './menu-model.js';
import { resolveTrayBinary } from './tray-binary.js';
import { describeEarlyExit, describeSpawnError, TrayStartError } from './tray-start-error.js';

// Split by concern; re-exported so callers keep one import.
export { type ResolveTrayBinaryOptions, resolveTrayBinary, systray2PackageDir, trayBinaryName } from './tray-binary.js';
export { describeEarlyExit, TrayStartError } from './tray-start-error.js';

export const SEPARATOR_TITLE = '<SEPARATOR>';
export const LINUX_CHECK_PREFIX = '✓ ';

/** Icons as the binary takes them: base64 PNG per state. */
export interface TrayIcons {
  png: Record<TrayIconName, string>;
  /** macOS template images (tinted by the system). */
  template: boolean;
}

/** One menu item on the wire. */
export interface ProtocolItem {
  title: string;
  tooltip: string;
  enabled: boolean;
  checked: boolean;
  hidden: boolean;
  items?: ProtocolItem[];
  __id: number;
}

export interface ProtocolMenu {
  icon: string;
  title: string;
  tooltip: string;
  isTemplateIcon: boolean;
  items: ProtocolItem[];
}

export interface TrayExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last lines the binary wrote to stderr. */
  stderr: string;
  /** True when stop() asked for it. */
  expected: boolean;
}

/** What spawn() returns, narrowed to what we use (lets tests pass a fake). */
export type TrayChild = Pick<ChildProcess, 'stdin' | 'stdout' | 'stderr' | 'pid' | 'kill' | 'on' | 'once' | 'off'> & {
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
};
export type SpawnFn = (file: string, args: string[], options: SpawnOptions) => TrayChild;

export interface TrayProcessOptions {
  /** Where a copy of the binary goes when the packaged one cannot be made executable. */
  dataDir: string;
  logger?: Logger;
  platform?: NodeJS.Platform;
  arch?: string;
  env?: NodeJS.ProcessEnv;
  /** Give up when the binary has not said ready by then. */
  readyTimeoutMs?: number;
  /** Run this instead of the resolved binary (tests, packagers). */
  command?: { file: string; args?: string[] };
  /** systray2's package folder; found with require.resolve by default. */
  packageDir?: string;
  spawn?: SpawnFn;
}

// ---------------------------------------------------------------------------------------
// Model → wire

interface Slot {
  num: number;
  item: MenuItem;
  children: Slot[];
  sent: ProtocolItem;
}

/** The tree's shape: what must not change between updates of one process. */
export function menuShape(items: MenuItem[]): string {
  return items.map((i) => (i.separator ? 'S' : i.children ? `[${menuShape(i.children)}]` : 'I')).join(',');
}

/** Longest title sent; client names and models come from requests and can be anything. */
export const MAX_TITLE = 120;

function wireTitle(item: MenuItem, platform: NodeJS.Platform): string {
  if (item.separator) return SEPARATOR_TITLE;
  // One line per item, of a sane length.
  let title = item.title.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  if (title.length > MAX_TITLE) title = `${title.slice(0, MAX_TITLE - 1)}…`;
  // A client-chosen name equal to the separator marker would turn into a separator.
  if (title === SEPARATOR_TITLE) title = '‹SEPARATOR›';
  return platform === 'linux' && item.checked ? LINUX_CHECK_PREFIX + title : title;
}

function wireItem(item: MenuItem, num: number, platform: NodeJS.Platform): ProtocolItem {
  return {
    title: wireTitle(item, platform),
    tooltip: item.tooltip ?? '',
    enabled: item.separator ? true : item.enabled,
    checked: item.checked === true,
    hidden: item.hidden === true,
    __id: num,
  };
}

const sameItem = (a: ProtocolItem, b: ProtocolItem): boolean =>
  a.title === b.title && a.tooltip === b.tooltip && a.enabled === b.enabled && a.checked === b.checked && a.hidden === b.hidden;

// ---------------------------------------------------------------------------------------

/** Whether macOS shows the icon, as maxproxy's macOS helper sees it. */
export interface TrayVisibility {
  visible: boolean;
  onScreen: boolean;
  statusItemVisible: boolean;
}

/**
 * One running tray binary. Events: 'click' (string id of a clickable item), 'exit'
 * (TrayExit, once), 'visibility' (TrayVisibility; macOS helper only). Build it with
 * TrayProcess.start().
 */
export class TrayProcess extends EventEmitter {
  private slots: Slot[] = [];
  private byNum = new Map<number, Slot>();
  private shape = '';
  private menuSent: { icon: string; title: string; tooltip: string } = { icon: '', title: '', tooltip: '' };
  private stderrTail = '';
  private exited = false;
  private stopping = false;
  private exitPromise: Promise<TrayExit>;
  private readonly log: Logger;
  /** What the process said about itself when ready (empty for systray2's binary). */
  about: Record<string, unknown> = {};

  private constructor(
    private readonly child: TrayChild,
    private readonly platform: NodeJS.Platform,
    private readonly template: boolean,
    logger: Logger,
  ) {
    super();
    this.log = logger;
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        this.exited = true;
        const info: TrayExit = { code, signal, stderr: this.stderrTail, expected: this.stopping };
        resolve(info);
        this.emit('exit', info);
      });
    });
    // A write to a dead process must not become an uncaught EPIPE in the daemon.
    child.stdin?.on('error', (e) => this.log.debug({ err: e.message }, 'tray stdin error'));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-4000);
      for (const line of d.split('\n')) if (line.trim()) this.log.debug({ line }, 'tray stderr');
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Spawns the binary, waits for ready, sends the menu. Rejects with TrayStartError. */
  static async start(model: MenuModel, icons: TrayIcons, opts: TrayProcessOptions): Promise<TrayProcess> {
    const log = opts.logger ?? silentLogger;
    const platform = opts.platform ?? process.platform;
    const env = opts.env ?? process.env;
    if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
      throw new TrayStartError('no display (DISPLAY and WAYLAND_DISPLAY are unset); running headless', true);
    }
    let file: string;
    let args: string[] = [];
    if (opts.command) {
      file = opts.command.file;
      args = opts.command.args ?? [];
    } else {
      file = await resolveTrayBinary({ dataDir: opts.dataDir, platform, arch: opts.arch, packageDir: opts.packageDir, logger: log });
    }
    const spawnFn: SpawnFn = opts.spawn ?? ((f, a, o) => nodeSpawn(f, a, o) as TrayChild);
    let child: TrayChild;
    try {
      child = spawnFn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env, windowsHide: true });
    } catch (e) {
      throw describeSpawnError(e as NodeJS.ErrnoException, file, platform);
    }
    const tray = new TrayProcess(child, platform, icons.template, log);
    await tray.handshake(file, opts.readyTimeoutMs ?? 5000);
    tray.sendInitialMenu(model, icons);
    return tray;
  }

  private handshake(file: string, timeoutMs: number): Promise<void> {
    const child = this.child;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const rl = readline.createInterface({ input: child.stdout! });
      const done = (err?: TrayStartError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.off('error', onError);
        child.off('exit', onExit);
        if (err) {
          rl.close();
          this.kill('SIGKILL');
          reject(err);
        } else resolve();
      };
      const onError = (e: NodeJS.ErrnoException): void => done(describeSpawnError(e, file, this.platform));
      const onExit = (code: number | null, signal: string | null): void => {
        // stderr may still be draining when 'exit' fires; give it a moment.
        setTimeout(() => done(describeEarlyExit(code, signal, this.stderrTail)), 50);
      };
      const timer = setTimeout(
        () =>
          done(
            new TrayStartError(
              `tray binary did not report ready within ${timeoutMs} ms (no tray host or display?)` +
                (this.stderrTail.trim() ? `: ${this.stderrTail.trim().split('\n').slice(-2).join(' | ')}` : ''),
              false,
              this.stderrTail,
            ),
          ),
        timeoutMs,
      );
      child.on('error', onError);
      child.on('exit', onExit);
      // After the handshake a late 'error' must not go unhandled.
      child.on('error', (e: Error) => this.log.warn({ err: e.message }, 'tray process error'));
      rl.on('line', (line) => {
        let msg: { type?: unknown; __id?: unknown } | null;
        try {
          msg = JSON.parse(line);
        } catch {
          msg = null;
        }
        if (!msg || typeof msg !== 'object') {
          // The C side printf()s some failures to stdout.
          this.log.debug({ line }, 'tray stdout (not a message)');
          return;
        }
        if (msg.type === 'ready') {
          // maxproxy's macOS helper says which it is (systray2's binary sends only the type).
          const { type: _t, ...about } = msg as Record<string, unknown>;
          this.about = about;
          done();
        } else if (msg.type === 'clicked' && typeof msg.__id === 'number') this.onClicked(msg.__id);
        else if (msg.type === 'visibility') {
          const v = msg as { visible?: unknown; onScreen?: unknown; statusItemVisible?: unknown };
          this.emit('visibility', { visible: v.visible === true, onScreen: v.onScreen === true, statusItemVisible: v.statusItemVisible !== false });
        } else this.log.debug({ line }, 'tray: unknown message');
      });
    });
  }

  private build(items: MenuItem[], counter: { n: number }): Slot[] {
    return items.map((item) => {
      const num = counter.n++;
      const slot: Slot = { num, item, children: [], sent: wireItem(item, num, this.platform) };
      this.byNum.set(num, slot);
      if (item.children) slot.children = this.build(item.children, counter);
      return slot;
    });
  }

  private toWire(slots: Slot[]): ProtocolItem[] {
    return slots.map((s) => ({ ...s.sent, ...(s.children.length ? { items: this.toWire(s.children) } : {}) }));
  }

  private sendInitialMenu(model: MenuModel, icons: TrayIcons): void {
    this.byNum.clear();
    this.slots = this.build(model.items, { n: 1 });
    this.shape = menuShape(model.items);
    const menu: ProtocolMenu = {
      icon: icons.png[model.icon],
      title: model.title,
      tooltip: model.tooltip,
      isTemplateIcon: this.template,
      items: this.toWire(this.slots),
    };
    this.menuSent = { icon: menu.icon, title: menu.title, tooltip: menu.tooltip };
    this.write(menu);
  }

  /** Whether update() can render this model in place (same shape as the first menu). */
  canUpdate(model: MenuModel): boolean {
    return menuShape(model.items) === this.shape;
  }

  /**
   * Sends only what changed. Returns false (and sends nothing) when the model's shape
   * differs from the running menu: the caller then restarts the process with it.
   */
  update(model: MenuModel, icons: TrayIcons): boolean {
    if (!this.canUpdate(model)) return false;
    if (this.exited) return true;
    const icon = icons.png[model.icon];
    if (icon !== this.menuSent.icon || model.title !== this.menuSent.title || model.tooltip !== this.menuSent.tooltip) {
      // Linux writes every new icon to a temp file: send it only when it changed.
      this.write({ type: 'update-menu', menu: { icon, title: model.title, tooltip: model.tooltip, isTemplateIcon: this.template, items: [] } });
      this.menuSent = { icon, title: model.title, tooltip: model.tooltip };
    }
    this.updateSlots(this.slots, model.items);
    return true;
  }

  private updateSlots(slots: Slot[], items: MenuItem[]): void {
    slots.forEach((slot, i) => {
      const item = items[i];
      slot.item = item;
      const next = wireItem(item, slot.num, this.platform);
      // Separators cannot be updated; their slot only tracks the new id.
      if (!item.separator && !sameItem(next, slot.sent)) {
        const payload: ProtocolItem = { ...next };
        // Showing an item makes the binary show every child it lists: list only the
        // children meant to be visible, which keeps hidden ones hidden.
        if (!next.hidden && slot.children.length) {
          payload.items = slot.children
            .map((c, j) => ({ c, child: item.children![j] }))
            .filter(({ child }) => !child.hidden && !child.separator)
            .map(({ c, child }) => wireItem(child, c.num, this.platform));
        }
        this.write({ type: 'update-item', item: payload, seq_id: -1 });
        slot.sent = next;
      }
      if (slot.children.length) this.updateSlots(slot.children, item.children ?? []);
    });
  }

  private onClicked(num: number): void {
    const slot = this.byNum.get(num);
    if (!slot) return;
    const { item } = slot;
    // GTK reports clicks on submenu parents; they are not actions.
    if (slot.children.length || item.separator || !item.enabled || item.hidden) {
      this.log.debug({ id: item.id }, 'tray: ignored click');
      return;
    }
    this.emit('click', item.id);
  }

  private write(obj: unknown): void {
    if (this.exited || !this.child.stdin || this.child.stdin.destroyed) return;
    this.child.stdin.write(`${JSON.stringify(obj)}\n`);
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      this.child.kill(signal);
    } catch {
      /* already gone */
    }
  }

  /** Asks the binary to quit; escalates to SIGTERM, then SIGKILL. */
  async stop(timeoutMs = 2000): Promise<TrayExit> {
    this.stopping = true;
    if (!this.exited) {
      this.write({ type: 'exit' });
      this.child.stdin?.end();
      const waitFor = (ms: number): Promise<boolean> =>
        Promise.race([this.exitPromise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
      if (!(await waitFor(timeoutMs))) {
        this.kill('SIGTERM');
        if (!(await waitFor(1000))) this.kill('SIGKILL');
      }
    }
    return this.exitPromise;
  }
}
