/**
 * A stand-in for JXA's Objective-C bridge (`$`, `ObjC`) that records the Cocoa calls the
 * menu-bar helper makes, so the helper's own file runs under Node (tests only).
 *
 * It models what the helper relies on: zero-argument methods are property reads (as in
 * JXA), nil is an object whose isNil() is true, a menu item sends its action to its target
 * only when it is enabled, visible and not a submenu parent, NSNotificationCenter calls
 * `[observer selector:note]`, and a background read's notification is delivered only
 * while the run loop runs in one of the modes it was armed for (the default mode inside
 * nextEventMatchingMask, the event-tracking mode while the menu is open).
 */
import fs from 'node:fs';
import vm from 'node:vm';
import {
  FakeArray,
  FakeData,
  FakeFileHandle,
  FakeImage,
  FakeInstance,
  FakeMenu,
  FakeMenuItem,
  FakeStatusItem,
  FakeString,
  NIL,
  type Obj,
} from './testdata/cocoa-objects.js';

export { FakeData, FakeImage, FakeMenu, FakeMenuItem, FakeStatusItem, FakeString };

export const HELPER_ARCH = { arm64: 16777228, x86_64: 16777223 } as const;

/** What one menu item shows, for assertions. */
export interface ShownItem {
  title: string;
  enabled: boolean;
  checked: boolean;
  hidden: boolean;
  separator?: true;
  tooltip?: string;
  children?: ShownItem[];
}

export interface FakeCocoaOptions {
  arch?: keyof typeof HELPER_ARCH;
  /** ObjC.registerSubclass blocks the thread this long (the libffi hang), then throws. */
  registerHangMs?: number;
}

export class FakeCocoa {
  calls: string[] = [];
  imports: string[] = [];
  registered: string[] = [];
  statusItems: FakeStatusItem[] = [];
  stdoutLines: string[] = [];
  exits: number[] = [];
  activationPolicy: number | null = null;
  finishedLaunching = false;
  stdoutBroken = false;
  /** Runs inside app.sendEvent (e.g. a menu being tracked); queued by openMenu(). */
  private events: Array<() => void> = [];
  private stdinQueue: Buffer[] = [];
  private stdinClosed = false;
  private observers: Array<{ observer: unknown; selector: string; name: unknown; object: unknown }> = [];
  private stdoutBuf = '';
  readonly stdin: FakeFileHandle;
  readonly stdout: FakeFileHandle;
  readonly $: any;
  readonly ObjC: any;
  onStdoutLine: (line: string) => void = () => {};

  constructor(readonly opts: FakeCocoaOptions = {}) {
    const c = this;
    this.stdin = new FakeFileHandle(this, 'NSFileHandle(stdin)');
    this.stdout = new FakeFileHandle(this, 'NSFileHandle(stdout)');
    const app = {
      isNil: () => false,
      setActivationPolicy: (p: number) => void (c.activationPolicy = p),
      get finishLaunching() {
        c.finishedLaunching = true;
        return undefined;
      },
      nextEventMatchingMaskUntilDateInModeDequeue: (mask: number, _until: unknown, mode: string) => {
        if (mask !== Number.MAX_SAFE_INTEGER) throw new Error(`event mask ${mask}`);
        c.runLoop(mode);
        const ev = c.events.shift();
        return ev ? { isNil: () => false, run: ev } : NIL;
      },
      sendEvent: (e: { run: () => void }) => e.run(),
    };
    const alloc = <T>(make: () => T) => ({
      alloc: {
        get init() {
          return make();
        },
      },
    });
    const $ = (s: string) => new FakeString(c, s);
    Object.assign($, {
      NSRunLoopCommonModes: 'kCFRunLoopCommonModes',
      NSDefaultRunLoopMode: 'kCFRunLoopDefaultMode',
      NSFileHandleReadCompletionNotification: 'NSFileHandleReadCompletionNotification',
      NSFileHandleNotificationDataItem: 'NSFileHandleNotificationDataItem',
      NSMakeSize: (width: number, height: number) => ({ width, height }),
      NSApplication: { sharedApplication: app },
      NSRunningApplication: { currentApplication: { executableArchitecture: HELPER_ARCH[opts.arch ?? 'arm64'] } },
      NSProcessInfo: { processInfo: { operatingSystemVersionString: new FakeString(c, 'Version 26.1 (Build 25B78)') } },
      NSMutableData: alloc(() => new FakeData(c, Buffer.alloc(0))),
      NSMutableArray: alloc(() => new FakeArray(c)),
      NSAutoreleasePool: alloc(() => ({ drain: undefined })),
      NSArray: { arrayWithObject: (o: unknown) => [o] },
      NSDate: { dateWithTimeIntervalSinceNow: (s: number) => ({ s }) },
      NSFileHandle: { fileHandleWithStandardInput: this.stdin, fileHandleWithStandardOutput: this.stdout },
      NSNotificationCenter: {
        defaultCenter: {
          addObserverSelectorNameObject: (observer: unknown, selector: string, name: unknown, object: unknown) =>
            void c.observers.push({ observer, selector, name, object }),
        },
      },
      NSStatusBar: {
        systemStatusBar: {
          statusItemWithLength: (len: number) => {
            const s = new FakeStatusItem(c, len);
            c.statusItems.push(s);
            return s;
          },
        },
      },
      NSData: {
        alloc: {
          initWithBase64EncodedStringOptions: (b64: string) => (/^[A-Za-z0-9+/]*={0,2}$/.test(b64) ? new FakeData(c, Buffer.from(b64, 'base64')) : NIL),
        },
      },
      NSImage: {
        alloc: {
          initWithData: (d: FakeData) => (d.bytes.subarray(0, 4).toString('hex') === '89504e47' ? new FakeImage(c, d.bytes) : NIL),
        },
      },
      NSString: {
        alloc: {
          initWithDataEncoding: (d: FakeData) => {
            try {
              return new FakeString(c, new TextDecoder('utf-8', { fatal: true }).decode(d.bytes));
            } catch {
              return NIL;
            }
          },
        },
      },
      NSMenu: { alloc: { initWithTitle: (t: string) => new FakeMenu(c, t) } },
      NSMenuItem: {
        alloc: { initWithTitleActionKeyEquivalent: (t: string, a: string | null) => new FakeMenuItem(c, false, t, a) },
        get separatorItem() {
          return new FakeMenuItem(c, true);
        },
      },
      exit: (code: number) => {
        c.exits.push(code);
      },
    });
    this.$ = $;
    this.ObjC = {
      import: (name: string) => void c.imports.push(name),
      registerSubclass: (def: { name: string; methods: Record<string, { implementation: (arg: unknown) => void }> }) => {
        if (opts.registerHangMs) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, opts.registerHangMs);
          throw new Error('registerSubclass hung');
        }
        c.registered.push(def.name);
        ($ as any)[def.name] = alloc(() => new FakeInstance(c, def.name, def.methods));
      },
    };
  }

  /** The status item the helper made. */
  get item(): FakeStatusItem {
    if (this.statusItems.length !== 1) throw new Error(`${this.statusItems.length} status items`);
    return this.statusItems[0];
  }

  /** `[target action:arg]`, as Cocoa would send it. */
  perform(target: unknown, selector: string, arg: unknown): void {
    if (target instanceof FakeArray && selector === 'addObject:') {
      target.addObject(arg);
      return;
    }
    if (target instanceof FakeInstance && target.methods[selector]) {
      target.methods[selector].implementation.call(target, arg);
      return;
    }
    throw new Error(`unrecognized selector ${selector} sent to ${String((target as Obj)?.label)}`);
  }

  /** The user picks an item: true when Cocoa would send its action. */
  click(item: FakeMenuItem): boolean {
    if (item.separator || !item.enabled || item.hidden || item.submenu || !item.action) return false;
    this.perform(item.target, item.action, item);
    return true;
  }

  /** Queues a menu-open event: `during` runs while the menu is tracked (inside sendEvent). */
  openMenu(during: (tracking: { runLoop: () => void }) => void): void {
    this.events.push(() => during({ runLoop: () => this.runLoop('NSEventTrackingRunLoopMode') }));
  }

  /** Bytes arriving on the helper's stdin. */
  sendStdin(data: string | Buffer): void {
    this.stdinQueue.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }

  closeStdin(): void {
    this.stdinClosed = true;
  }

  /** One pass of the run loop in `mode`: delivers a pending read if stdin is armed for it. */
  runLoop(mode: string): void {
    const modes = this.stdin.armedModes;
    if (!modes) return;
    const inMode = modes.includes(mode) || (modes.includes('kCFRunLoopCommonModes') && mode !== 'private');
    if (!inMode) return;
    let bytes: Buffer | undefined;
    if (this.stdinQueue.length) bytes = this.stdinQueue.shift();
    else if (this.stdinClosed) bytes = Buffer.alloc(0);
    else return;
    this.stdin.armedModes = null;
    const data = new FakeData(this, bytes!);
    const note = {
      isNil: () => false,
      userInfo: { isNil: () => false, objectForKey: (k: string) => (k === 'NSFileHandleNotificationDataItem' ? data : NIL) },
    };
    for (const o of this.observers) if (o.object === this.stdin) this.perform(o.observer, o.selector, note);
  }

  onStdout(text: string): void {
    this.stdoutBuf += text;
    let i: number;
    while ((i = this.stdoutBuf.indexOf('\n')) >= 0) {
      const line = this.stdoutBuf.slice(0, i);
      this.stdoutBuf = this.stdoutBuf.slice(i + 1);
      this.stdoutLines.push(line);
      this.onStdoutLine(line);
    }
  }

  /** Messages the helper printed, parsed. */
  messages(): any[] {
    return this.stdoutLines.map((l) => JSON.parse(l));
  }

  /** The menu as a user would see it. */
  shown(menu: FakeMenu | null = this.item.menu): ShownItem[] {
    if (!menu) return [];
    return menu.items.map((i) => {
      if (i.separator) return { title: '', enabled: true, checked: false, hidden: false, separator: true as const };
      const s: ShownItem = { title: i.title, enabled: i.enabled, checked: i.state === 1, hidden: i.hidden };
      if (i.toolTip) s.tooltip = i.toolTip;
      if (i.submenu) s.children = this.shown(i.submenu);
      return s;
    });
  }

  /** Every menu item in pre-order, to find one by title. */
  allItems(menu: FakeMenu | null = this.item.menu): FakeMenuItem[] {
    if (!menu) return [];
    return menu.items.flatMap((i) => [i, ...this.allItems(i.submenu)]);
  }

  find(title: string): FakeMenuItem {
    const hit = this.allItems().find((i) => i.title === title);
    if (!hit) throw new Error(`no menu item titled ${JSON.stringify(title)}`);
    return hit;
  }
}

/** The helper's functions, loaded from its file the way osascript reads it (one script). */
export interface HelperScript {
  run(argv: string[]): void;
  startMenubar(env: object): { step(s: number): boolean; pump(): void; state: { stopped: boolean; code: number }; mode: string; arch: string };
  chooseMode(requested: string, arch: string): string;
  parseArgs(argv: string[]): { mode: string };
}

export function loadHelper(file: string, cocoa: FakeCocoa, log: (s: string) => void = () => {}): HelperScript {
  const context = vm.createContext({ $: cocoa.$, ObjC: cocoa.ObjC, console: { log } });
  vm.runInContext(fs.readFileSync(file, 'utf8'), context, { filename: file });
  return context as unknown as HelperScript;
}
