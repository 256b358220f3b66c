// maxproxy's menu-bar helper for macOS: a JavaScript for Automation script run by Apple's
// own `/usr/bin/osascript -l JavaScript <this file> [--mode auto|callbacks|poll]`, so it
// runs natively on arm64 and x86_64 with nothing to install, sign or notarize.
//
// It speaks the JSON line protocol of systray2's tray binary (see
// src/desktop/tray-process.ts): it prints {"type":"ready"}, then takes the menu
// {icon, title, tooltip, isTemplateIcon, items:[{title, tooltip, enabled, checked, hidden,
// items, __id}]}, then "update-item", "update-menu" and "exit" messages, and prints
// {"type":"clicked", item, seq_id, __id} for each click. A title of "<SEPARATOR>" is a
// separator. It also prints {"type":"visibility", visible} when macOS shows or hides the
// icon (extra messages the daemon may ignore).
//
// The same file is loaded by the Node tests with a stand-in for the Objective-C bridge:
// everything Cocoa goes through the `$` and `ObjC` passed in, and only `run` (the
// osascript entry point) touches the real globals.
//
// Two ways to get clicks and stdin back, chosen by --mode (docs/decisions/060):
// - "poll": no JavaScript is ever called from Objective-C. Menu items target an
//   NSMutableArray with the action `addObject:`, and stdin's read-completion notification
//   is observed by another NSMutableArray with `addObject:`, so Cocoa itself queues clicks
//   and input; our own event loop drains both between events. Nothing needs a libffi
//   closure (ObjC.registerSubclass is reported to hang in libffi on Intel Macs with
//   macOS 26). While the menu is open, updates wait until it closes.
// - "callbacks": the same queues, plus a registered NSObject subclass whose methods drain
//   them at once, so updates also apply while the menu is open. Default on arm64.
'use strict';

var MENUBAR_HELPER = 'maxproxy-menubar';
var MENUBAR_VERSION = 1;
var SEPARATOR_TITLE = '<SEPARATOR>';
/** Seconds the event loop waits for an event before draining the queues anyway. */
var LOOP_WAIT_SECONDS = 0.2;
/** Undecodable bytes kept waiting for the rest of a UTF-8 sequence, at most. */
var MAX_PENDING_BYTES = 4 * 1024 * 1024;
var ARCH_NAMES = { 16777228: 'arm64', 16777223: 'x86_64' };

/** "auto" picks poll on x86_64 (and when unsure), callbacks on arm64. */
function chooseMode(requested, arch) {
  if (requested === 'poll' || requested === 'callbacks') return requested;
  return arch === 'arm64' ? 'callbacks' : 'poll';
}

function parseArgs(argv) {
  var mode = 'auto';
  for (var i = 0; i < argv.length; i++) {
    var a = String(argv[i]);
    if (a === '--mode' && i + 1 < argv.length) mode = String(argv[++i]);
    else if (a.indexOf('--mode=') === 0) mode = a.slice(7);
  }
  return { mode: mode };
}

/**
 * The menu and the protocol, against the bridge given in `env`:
 *   $        the ObjC bridge ($.NSMenu, $.NSMenuItem, …)
 *   statusItem, target, action   where menu items send their clicks
 *   write(line)  one line to the daemon; log(text) to stderr; quit(code)
 */
function createMenubar(env) {
  var $ = env.$;
  var records = {};
  var keep = []; // Cocoa objects referenced for the life of the process.
  var menu = null;
  var lineBuf = '';
  var pending = $.NSMutableData.alloc.init;
  var iconSent = null;
  var images = []; // the icon shown and the one before it
  var built = false;
  var button = env.statusItem.button;
  keep.push(pending, button);
  button.setImagePosition(2); // NSImageLeft: the usage percentage goes right of the icon.

  function str(v) {
    return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
  }

  function setIcon(b64, template) {
    if (!b64 || b64 === iconSent) return;
    var data = $.NSData.alloc.initWithBase64EncodedStringOptions(b64, 0);
    var image = data.isNil() ? null : $.NSImage.alloc.initWithData(data);
    if (!image || image.isNil()) {
      env.log('maxproxy-menubar: icon is not a readable image; keeping the previous one');
      return;
    }
    // The icons are 32 px @2x template images; the menu bar draws them at 16 pt.
    image.setSize($.NSMakeSize(16, 16));
    image.setTemplate(template !== false);
    button.setImage(image);
    images.push(image);
    if (images.length > 2) images.shift();
    iconSent = b64;
  }

  function setMenuFields(m) {
    if ('icon' in m) setIcon(m.icon, m.isTemplateIcon);
    if ('title' in m) button.setTitle(str(m.title));
    if ('tooltip' in m) button.setToolTip(m.tooltip ? str(m.tooltip) : null);
  }

  function applyFields(rec, it) {
    var mi = rec.item;
    if ('title' in it) mi.setTitle(str(it.title));
    if ('tooltip' in it) mi.setToolTip(it.tooltip ? str(it.tooltip) : null);
    if ('enabled' in it) mi.setEnabled(it.enabled !== false);
    if ('checked' in it) mi.setState(it.checked === true ? 1 : 0);
    if ('hidden' in it) mi.setHidden(it.hidden === true);
    // What the daemon sees in a click: the same values as set above.
    if ('title' in it) rec.data.title = str(it.title);
    if ('tooltip' in it) rec.data.tooltip = str(it.tooltip);
    if ('enabled' in it) rec.data.enabled = it.enabled !== false;
    if ('checked' in it) rec.data.checked = it.checked === true;
    if ('hidden' in it) rec.data.hidden = it.hidden === true;
  }

  var position = 0;
  function addItems(parent, items) {
    for (var i = 0; i < items.length; i++) {
      var it = items[i] || {};
      var id = typeof it.__id === 'number' ? it.__id : -1;
      if (it.title === SEPARATOR_TITLE) {
        var sep = $.NSMenuItem.separatorItem;
        parent.addItem(sep);
        keep.push(sep);
        if (id >= 0) records[id] = { id: id, item: sep, separator: true, seq: position };
        position++;
        continue;
      }
      var hasChildren = Array.isArray(it.items) && it.items.length > 0;
      // Parents open their submenu; Cocoa sends no action for them.
      var mi = $.NSMenuItem.alloc.initWithTitleActionKeyEquivalent(str(it.title), hasChildren ? null : env.action, '');
      if (!hasChildren) mi.setTarget(env.target);
      mi.setTag(id);
      var rec = { id: id, item: mi, separator: false, seq: position, data: { title: '', tooltip: '', enabled: true, checked: false, hidden: false } };
      position++;
      applyFields(rec, { title: it.title, tooltip: it.tooltip, enabled: it.enabled !== false, checked: it.checked === true, hidden: it.hidden === true });
      if (id >= 0) records[id] = rec;
      if (hasChildren) {
        var sub = $.NSMenu.alloc.initWithTitle(str(it.title));
        sub.setAutoenablesItems(false);
        addItems(sub, it.items);
        mi.setSubmenu(sub);
        keep.push(sub);
      }
      parent.addItem(mi);
      keep.push(mi);
    }
  }

  function buildMenu(m) {
    records = {};
    position = 0;
    menu = $.NSMenu.alloc.initWithTitle('maxproxy');
    // Our `enabled` is the truth: no validation against targets.
    menu.setAutoenablesItems(false);
    addItems(menu, Array.isArray(m.items) ? m.items : []);
    env.statusItem.setMenu(menu);
    keep.push(menu);
    setMenuFields(m);
    built = true;
  }

  function updateItem(it) {
    if (!it || typeof it.__id !== 'number') return;
    var rec = records[it.__id];
    if (!rec) {
      env.log('maxproxy-menubar: update for unknown item ' + it.__id);
      return;
    }
    // Separators cannot change, as with systray2.
    if (!rec.separator) applyFields(rec, it);
    if (Array.isArray(it.items)) for (var i = 0; i < it.items.length; i++) updateItem(it.items[i]);
  }

  function handleMessage(msg) {
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) {
      env.log('maxproxy-menubar: ignored a line that is not an object');
      return;
    }
    switch (msg.type) {
      case undefined:
        if (Array.isArray(msg.items)) buildMenu(msg);
        else env.log('maxproxy-menubar: ignored an object without type or items');
        return;
      case 'update-item':
        updateItem(msg.item);
        return;
      case 'update-menu':
        if (msg.menu) setMenuFields(msg.menu);
        return;
      case 'update-menu-and-item':
        if (msg.menu) setMenuFields(msg.menu);
        updateItem(msg.item);
        return;
      case 'exit':
        env.quit(0);
        return;
      default:
        env.log('maxproxy-menubar: unknown message type ' + str(msg.type));
    }
  }

  function handleLine(line) {
    var text = line.trim();
    if (!text) return;
    var msg;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      env.log('maxproxy-menubar: ignored a line that is not JSON: ' + text.slice(0, 80));
      return;
    }
    handleMessage(msg);
  }

  function feedText(text) {
    lineBuf += text;
    var nl;
    while ((nl = lineBuf.indexOf('\n')) >= 0) {
      var line = lineBuf.slice(0, nl);
      lineBuf = lineBuf.slice(nl + 1);
      handleLine(line);
    }
  }

  /** Bytes from stdin; a chunk may end inside a UTF-8 sequence, so decode whole runs only. */
  function feedData(data) {
    pending.appendData(data);
    var s = $.NSString.alloc.initWithDataEncoding(pending, 4); // NSUTF8StringEncoding
    if (!s || s.isNil()) {
      if (pending.length > MAX_PENDING_BYTES) {
        env.log('maxproxy-menubar: dropped ' + pending.length + ' bytes that are not UTF-8');
        pending.setLength(0);
      }
      return;
    }
    pending.setLength(0);
    feedText(s.js);
  }

  /** A click Cocoa queued for us (the clicked NSMenuItem). */
  function clicked(mi) {
    var rec = records[mi.tag];
    if (!rec || rec.separator || !rec.data.enabled || rec.data.hidden) return;
    var item = {
      title: rec.data.title,
      tooltip: rec.data.tooltip,
      enabled: rec.data.enabled,
      checked: rec.data.checked,
      hidden: rec.data.hidden,
      __id: rec.id,
    };
    env.write(JSON.stringify({ type: 'clicked', item: item, seq_id: rec.seq, __id: rec.id }));
  }

  return {
    feedData: feedData,
    feedText: feedText,
    handleLine: handleLine,
    clicked: clicked,
    isBuilt: function () {
      return built;
    },
    keep: keep,
  };
}

/**
 * Sets up the application, the status item and the queues, and prints ready. Returns
 * `step(seconds)`, one turn of the event loop, and `pump()`, which drains the queues.
 * `env`: { $, ObjC, mode, write, log, quit, now }.
 */
function startMenubar(env) {
  var $ = env.$;
  var now = env.now || Date.now;
  var state = { stopped: false, code: 0, visible: null, lastCheck: 0, builtAt: 0, pumping: false };
  var arch = ARCH_NAMES[Number($.NSRunningApplication.currentApplication.executableArchitecture)] || 'unknown';
  var os = '';
  try {
    os = $.NSProcessInfo.processInfo.operatingSystemVersionString.js;
  } catch (e) {
    os = 'unknown';
  }
  var mode = chooseMode(env.mode, arch);
  // Before anything that could hang: the daemon reads this from stderr to pick its retry.
  env.log('maxproxy-menubar: mode=' + mode + ' arch=' + arch + ' macOS ' + os);

  var app = $.NSApplication.sharedApplication;
  app.setActivationPolicy(1); // NSApplicationActivationPolicyAccessory: no Dock icon, no menu bar of its own.
  app.finishLaunching;

  var clicks = $.NSMutableArray.alloc.init;
  var inbox = $.NSMutableArray.alloc.init;
  var stdin = $.NSFileHandle.fileHandleWithStandardInput;
  var stdout = $.NSFileHandle.fileHandleWithStandardOutput;
  var modes = $.NSArray.arrayWithObject($.NSRunLoopCommonModes || 'kCFRunLoopCommonModes');
  var defaultMode = $.NSDefaultRunLoopMode || 'kCFRunLoopDefaultMode';
  var dataKey = $.NSFileHandleNotificationDataItem || 'NSFileHandleNotificationDataItem';
  var center = $.NSNotificationCenter.defaultCenter;
  var quit = function (code) {
    state.stopped = true;
    state.code = code;
    env.quit(code);
  };
  var write = function (line) {
    try {
      stdout.writeData($(line + '\n').dataUsingEncoding(4));
    } catch (e) {
      // The daemon is gone.
      quit(0);
    }
  };

  var target = clicks;
  var action = 'addObject:';
  var observer = inbox;
  var observerSelector = 'addObject:';
  var pump;
  if (mode === 'callbacks') {
    env.ObjC.registerSubclass({
      name: 'MaxproxyMenubarTarget',
      superclass: 'NSObject',
      methods: {
        'itemClicked:': {
          types: ['void', ['id']],
          implementation: function (sender) {
            clicks.addObject(sender);
            pump();
          },
        },
        'stdinRead:': {
          types: ['void', ['id']],
          implementation: function (note) {
            inbox.addObject(note);
            pump();
          },
        },
      },
    });
    target = $.MaxproxyMenubarTarget.alloc.init;
    action = 'itemClicked:';
    observer = target;
    observerSelector = 'stdinRead:';
  }

  var statusItem = $.NSStatusBar.systemStatusBar.statusItemWithLength(-1); // NSVariableStatusItemLength
  // A stable name lets macOS remember the icon's place (and whether it is allowed).
  statusItem.setAutosaveName('dev.maxproxy.menubar');
  var bar = createMenubar({ $: $, statusItem: statusItem, target: target, action: action, write: write, log: env.log, quit: quit });
  bar.keep.push(app, clicks, inbox, stdin, stdout, modes, center, statusItem, target, observer);

  // By object: stdin posts only the read completions we ask for (no reliance on the name constant).
  center.addObserverSelectorNameObject(observer, observerSelector, $.NSFileHandleReadCompletionNotification || null, stdin);
  // Common modes: input is also read while the menu is open (event-tracking mode).
  stdin.readInBackgroundAndNotifyForModes(modes);

  pump = function () {
    if (state.pumping) return;
    state.pumping = true;
    try {
      while (inbox.count > 0 && !state.stopped) {
        var note = inbox.objectAtIndex(0);
        inbox.removeObjectAtIndex(0);
        var info = note.userInfo;
        var data = info.isNil() ? null : info.objectForKey(dataKey);
        if (!data || data.isNil() || data.length === 0) {
          // stdin closed: the daemon quit or died.
          quit(0);
          break;
        }
        bar.feedData(data);
        if (!state.stopped) stdin.readInBackgroundAndNotifyForModes(modes);
      }
      while (clicks.count > 0 && !state.stopped) {
        var mi = clicks.objectAtIndex(0);
        clicks.removeObjectAtIndex(0);
        bar.clicked(mi);
      }
      if (bar.isBuilt() && !state.builtAt) state.builtAt = now();
    } finally {
      state.pumping = false;
    }
  };

  /** macOS 26 can keep an icon out of the menu bar ("Allow in the Menu Bar"); say what we see. */
  function checkVisibility() {
    var itemVisible = statusItem.isVisible !== false;
    var win = statusItem.button.window;
    var onScreen = !win || win.isNil() ? false : (Number(win.occlusionState) & 2) !== 0; // NSWindowOcclusionStateVisible
    var visible = itemVisible && onScreen;
    if (visible !== state.visible) {
      state.visible = visible;
      write(JSON.stringify({ type: 'visibility', visible: visible, statusItemVisible: itemVisible, onScreen: onScreen }));
    }
  }

  function step(seconds) {
    if (state.stopped) return false;
    var pool = $.NSAutoreleasePool.alloc.init;
    try {
      var until = $.NSDate.dateWithTimeIntervalSinceNow(seconds);
      // All event types (bits 0-52; a JS number holds no wider mask exactly).
      var event = app.nextEventMatchingMaskUntilDateInModeDequeue(9007199254740991, until, defaultMode, true);
      if (event && !event.isNil()) app.sendEvent(event);
      pump();
      var t = now();
      if (state.builtAt && t - state.builtAt >= 3000 && t - state.lastCheck >= 10000) {
        state.lastCheck = t;
        checkVisibility();
      }
    } finally {
      pool.drain;
    }
    return !state.stopped;
  }

  write(JSON.stringify({ type: 'ready', helper: MENUBAR_HELPER, version: MENUBAR_VERSION, mode: mode, arch: arch, os: os }));
  return { step: step, pump: pump, state: state, mode: mode, arch: arch, bar: bar, statusItem: statusItem };
}

/** The osascript entry point. */
function run(argv) {
  ObjC.import('Cocoa');
  ObjC.import('stdlib');
  var args = parseArgs(argv || []);
  var helper = startMenubar({
    $: $,
    ObjC: ObjC,
    mode: args.mode,
    log: function (text) {
      console.log(text); // osascript's console.log writes to stderr.
    },
    quit: function (code) {
      $.exit(code);
    },
  });
  while (helper.step(LOOP_WAIT_SECONDS)) {
    // one event, then the queues
  }
  $.exit(helper.state.code);
}
