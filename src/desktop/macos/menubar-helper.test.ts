/**
 * The macOS menu-bar helper (assets/macos/maxproxy-menubar.js) on its own, run under Node
 * with a recording stand-in for JXA's Objective-C bridge (./testing.ts): what it asks Cocoa
 * to do, turned by hand through its event loop. Nothing here runs macOS.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultAssetsDir } from '../tray.js';
import { menubarHelperPath } from './menubar.js';
import { FakeCocoa, type HelperScript, loadHelper } from './testing.js';

const HELPER = menubarHelperPath();

const PNG = readFileSync(`${defaultAssetsDir()}/tray/macos/idleTemplate@2x.png`).toString('base64');
const menuLine = (items: object[], extra: object = {}) =>
  `${JSON.stringify({ icon: PNG, title: '', tooltip: 'maxproxy', isTemplateIcon: true, items, ...extra })}\n`;
const it_ = (id: number, title: string, extra: object = {}) => ({ title, tooltip: '', enabled: true, checked: false, hidden: false, __id: id, ...extra });

/** The helper driven directly: its event loop turned by hand, a clock we set. */
function direct(arch: 'arm64' | 'x86_64', mode = 'auto') {
  const cocoa = new FakeCocoa({ arch });
  const stderr: string[] = [];
  const script: HelperScript = loadHelper(HELPER, cocoa, (s) => stderr.push(s));
  let clock = 1_000_000;
  const quits: number[] = [];
  const helper = script.startMenubar({
    $: cocoa.$,
    ObjC: cocoa.ObjC,
    mode,
    log: (s: string) => stderr.push(s),
    quit: (c: number) => quits.push(c),
    now: () => clock,
  });
  return {
    cocoa,
    stderr,
    helper,
    quits,
    script,
    advance: (ms: number) => void (clock += ms),
    step: () => helper.step(0),
  };
}

describe('menu-bar helper on its own', () => {
  it('picks its mode: callbacks on arm64, poll on x86_64 (no ObjC.registerSubclass at all), flags win', () => {
    const s = loadHelper(HELPER, new FakeCocoa());
    expect(s.chooseMode('auto', 'arm64')).toBe('callbacks');
    expect(s.chooseMode('auto', 'x86_64')).toBe('poll');
    expect(s.chooseMode('auto', 'unknown')).toBe('poll');
    expect(s.chooseMode('poll', 'arm64')).toBe('poll');
    expect(s.chooseMode('callbacks', 'x86_64')).toBe('callbacks');
    expect(s.parseArgs(['--mode', 'poll'])).toEqual({ mode: 'poll' });
    expect(s.parseArgs(['--mode=callbacks'])).toEqual({ mode: 'callbacks' });
    expect(s.parseArgs([])).toEqual({ mode: 'auto' });

    const intel = direct('x86_64');
    expect(intel.helper.mode).toBe('poll');
    expect(intel.cocoa.registered).toEqual([]);
    intel.cocoa.sendStdin(menuLine([it_(1, 'Pause')]));
    intel.step();
    // Clicks are queued by Cocoa itself: the item targets an NSMutableArray with addObject:.
    const pause = intel.cocoa.find('Pause');
    expect(pause.action).toBe('addObject:');
    expect((pause.target as { label: string }).label).toMatch(/^NSMutableArray#/);

    const arm = direct('arm64');
    expect(arm.cocoa.registered).toEqual(['MaxproxyMenubarTarget']);
    arm.cocoa.sendStdin(menuLine([it_(1, 'Pause')]));
    arm.step();
    expect(arm.cocoa.find('Pause').action).toBe('itemClicked:');
    // stdin is read in the common modes, so also while the menu is tracked.
    expect(arm.cocoa.stdin.armedModes).toEqual(['kCFRunLoopCommonModes']);
    expect(arm.stderr[0]).toBe('maxproxy-menubar: mode=callbacks arch=arm64 macOS Version 26.1 (Build 25B78)');
  });

  it('updates apply while the menu is open in callbacks mode; in poll mode as soon as it closes', () => {
    for (const [arch, live] of [
      ['arm64', true],
      ['x86_64', false],
    ] as const) {
      const h = direct(arch);
      h.cocoa.sendStdin(menuLine([it_(1, '1 request in flight', { enabled: false })]));
      h.step();
      let inside = '';
      h.cocoa.openMenu((tracking) => {
        h.cocoa.sendStdin(`${JSON.stringify({ type: 'update-item', item: it_(1, 'No requests in flight', { enabled: false }), seq_id: -1 })}\n`);
        tracking.runLoop();
        inside = h.cocoa.find(live ? 'No requests in flight' : '1 request in flight').title;
      });
      h.step();
      expect(inside, arch).toBe(live ? 'No requests in flight' : '1 request in flight');
      expect(h.cocoa.item.menu!.items[0].title, arch).toBe('No requests in flight');
    }
  });

  it('clicks: only enabled, visible leaves report, with the item and its __id', () => {
    const h = direct('arm64');
    h.cocoa.sendStdin(
      menuLine([
        it_(1, 'info', { enabled: false }),
        { title: '<SEPARATOR>', __id: 2 },
        it_(3, 'Port: 3456', { items: [it_(4, '3456', { checked: true }), it_(5, '8080')] }),
        it_(6, 'slot', { hidden: true }),
        it_(7, 'Quit maxproxy'),
      ]),
    );
    h.step();
    const items = h.cocoa.allItems();
    for (const i of items) h.cocoa.click(i);
    h.step();
    expect(h.cocoa.messages().filter((m) => m.type === 'clicked')).toEqual([
      { type: 'clicked', item: it_(4, '3456', { checked: true }), seq_id: 3, __id: 4 },
      { type: 'clicked', item: it_(5, '8080'), seq_id: 4, __id: 5 },
      { type: 'clicked', item: it_(7, 'Quit maxproxy'), seq_id: 6, __id: 7 },
    ]);

    // Poll mode: a click queued while the menu was open, then an update that hides the
    // item, both drained after it closes: input first, so the stale click is dropped.
    const p = direct('x86_64');
    p.cocoa.sendStdin(menuLine([it_(1, 'End session'), it_(2, 'Quit maxproxy')]));
    p.step();
    p.cocoa.openMenu((tracking) => {
      p.cocoa.click(p.cocoa.find('End session'));
      p.cocoa.sendStdin(`${JSON.stringify({ type: 'update-item', item: it_(1, 'End session', { hidden: true }), seq_id: -1 })}\n`);
      tracking.runLoop();
      p.cocoa.click(p.cocoa.find('Quit maxproxy'));
    });
    p.step();
    expect(p.cocoa.messages().filter((m) => m.type === 'clicked')).toEqual([{ type: 'clicked', item: it_(2, 'Quit maxproxy'), seq_id: 1, __id: 2 }]);
  });

  it('reads stdin in any chunks: split lines, split UTF-8 sequences, several lines at once; junk is logged, not fatal', () => {
    const h = direct('x86_64');
    const line = menuLine([it_(1, 'OpenClaw · sonnet · 2m ago'), it_(2, 'Quit')]);
    const bytes = Buffer.from(line + line.replace('2m ago', '3m ago'), 'utf8');
    const dot = bytes.indexOf(Buffer.from('·'));
    h.cocoa.sendStdin(bytes.subarray(0, dot + 1)); // ends inside the two-byte "·"
    h.step();
    expect(h.cocoa.statusItems[0].menu).toBeNull();
    h.cocoa.sendStdin(bytes.subarray(dot + 1));
    h.step();
    expect(h.cocoa.shown().map((i) => i.title)).toEqual(['OpenClaw · sonnet · 3m ago', 'Quit']);
    h.cocoa.sendStdin('not json\n[1,2]\n{"type":"bogus"}\n{"type":"update-item","item":{"__id":99,"title":"x"}}\n');
    h.cocoa.sendStdin(`${JSON.stringify({ type: 'update-item', item: it_(2, 'Quit maxproxy'), seq_id: -1 })}\n`);
    h.step();
    h.step();
    expect(h.cocoa.find('Quit maxproxy')).toBeTruthy();
    expect(h.stderr.slice(1)).toEqual([
      'maxproxy-menubar: ignored a line that is not JSON: not json',
      'maxproxy-menubar: ignored a line that is not an object',
      'maxproxy-menubar: unknown message type bogus',
      'maxproxy-menubar: update for unknown item 99',
    ]);
    expect(h.quits).toEqual([]);
  });

  it('update-menu changes icon, title and tooltip; a bad icon keeps the previous one; separators never change', () => {
    const h = direct('arm64');
    h.cocoa.sendStdin(menuLine([{ title: '<SEPARATOR>', __id: 1 }, it_(2, 'A')]));
    h.step();
    const first = h.cocoa.item.button.image!;
    const warn = readFileSync(`${defaultAssetsDir()}/tray/macos/warningTemplate@2x.png`).toString('base64');
    h.cocoa.sendStdin(`${JSON.stringify({ type: 'update-menu', menu: { icon: warn, title: '91%', tooltip: 'busy', isTemplateIcon: true, items: [] } })}\n`);
    h.step();
    expect(h.cocoa.item.button.image).not.toBe(first);
    expect(h.cocoa.item.button.image!.png.toString('base64')).toBe(warn);
    expect([h.cocoa.item.button.title, h.cocoa.item.button.toolTip]).toEqual(['91%', 'busy']);
    h.cocoa.sendStdin(`${JSON.stringify({ type: 'update-menu', menu: { icon: 'bm90IGEgcG5n', title: '91%', tooltip: 'busy' } })}\n`);
    h.cocoa.sendStdin(`${JSON.stringify({ type: 'update-item', item: it_(1, 'oops'), seq_id: -1 })}\n`);
    h.step();
    h.step();
    expect(h.cocoa.item.button.image!.png.toString('base64')).toBe(warn);
    expect(h.cocoa.shown()[0]).toEqual({ title: '', enabled: true, checked: false, hidden: false, separator: true });
    expect(h.stderr).toContain('maxproxy-menubar: icon is not a readable image; keeping the previous one');
  });

  it('quits on "exit", on stdin EOF, and when stdout is gone', () => {
    const a = direct('arm64');
    a.cocoa.sendStdin('{"type":"exit"}\n');
    expect(a.step()).toBe(false);
    expect(a.quits).toEqual([0]);

    const b = direct('x86_64');
    b.cocoa.closeStdin();
    expect(b.step()).toBe(false);
    expect(b.quits).toEqual([0]);

    const c = direct('x86_64');
    c.cocoa.stdoutBroken = true;
    c.cocoa.sendStdin(menuLine([it_(1, 'Quit')]));
    c.step();
    c.cocoa.click(c.cocoa.find('Quit'));
    expect(c.step()).toBe(false);
    expect(c.quits).toEqual([0]);
  });

  it('reports whether macOS shows the icon, once it has a menu and again only when that changes', () => {
    const h = direct('arm64');
    h.cocoa.sendStdin(menuLine([it_(1, 'A')]));
    h.step();
    h.advance(3000);
    h.step();
    h.advance(10_000);
    h.step();
    h.cocoa.item.button.window.occlusionState = 0; // not on screen: hidden by macOS, or the menu bar is full
    h.advance(10_000);
    h.step();
    h.advance(10_000);
    h.step();
    expect(h.cocoa.messages().filter((m) => m.type === 'visibility')).toEqual([
      { type: 'visibility', visible: true, statusItemVisible: true, onScreen: true },
      { type: 'visibility', visible: false, statusItemVisible: true, onScreen: false },
    ]);
  });

  it('run(argv), the osascript entry: imports Cocoa and stdlib, serves until exit, then exits 0', () => {
    const cocoa = new FakeCocoa({ arch: 'arm64' });
    const script = loadHelper(HELPER, cocoa);
    cocoa.sendStdin(menuLine([it_(1, 'Quit maxproxy')]));
    cocoa.sendStdin('{"type":"exit"}\n');
    script.run(['--mode', 'poll']);
    expect(cocoa.imports).toEqual(['Cocoa', 'stdlib']);
    expect(cocoa.registered).toEqual([]);
    expect(cocoa.finishedLaunching).toBe(true);
    expect(cocoa.messages()[0]).toMatchObject({ type: 'ready', mode: 'poll' });
    expect(cocoa.shown().map((i) => i.title)).toEqual(['Quit maxproxy']);
    expect(cocoa.exits[0]).toBe(0);
  });

  it('a hanging ObjC.registerSubclass (the libffi hang) leaves its mode on stderr and never says ready', () => {
    const cocoa = new FakeCocoa({ arch: 'arm64', registerHangMs: 20 });
    const stderr: string[] = [];
    const script = loadHelper(HELPER, cocoa, (s) => stderr.push(s));
    expect(() => script.startMenubar({ $: cocoa.$, ObjC: cocoa.ObjC, mode: 'auto', log: (s: string) => stderr.push(s), quit: () => {} })).toThrow(/hung/);
    expect(stderr).toEqual(['maxproxy-menubar: mode=callbacks arch=arm64 macOS Version 26.1 (Build 25B78)']);
    expect(cocoa.stdoutLines).toEqual([]);
  });
});
