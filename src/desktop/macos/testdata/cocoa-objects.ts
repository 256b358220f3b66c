/** The Cocoa objects of the recording bridge stand-in (../testing.ts); tests only. */

/** What the objects report to: the FakeCocoa that made them. */
export interface CocoaRecorder {
  calls: string[];
  stdoutBroken: boolean;
  onStdout(text: string): void;
}

let serial = 0;

export class Obj {
  readonly label: string;
  constructor(
    protected readonly cocoa: CocoaRecorder,
    kind: string,
  ) {
    this.label = `${kind}#${++serial}`;
  }
  isNil(): boolean {
    return false;
  }
  protected rec(method: string, ...args: unknown[]): void {
    this.cocoa.calls.push(`${this.label}.${method}(${args.map((a) => (a instanceof Obj ? a.label : JSON.stringify(a))).join(', ')})`);
  }
}

export class Nil {
  isNil(): boolean {
    return true;
  }
}
export const NIL = new Nil();

export class FakeData extends Obj {
  constructor(
    cocoa: CocoaRecorder,
    public bytes: Buffer,
  ) {
    super(cocoa, 'NSData');
  }
  get length(): number {
    return this.bytes.length;
  }
  appendData(d: FakeData): void {
    this.bytes = Buffer.concat([this.bytes, d.bytes]);
  }
  setLength(n: number): void {
    this.bytes = this.bytes.subarray(0, n);
  }
}

export class FakeString extends Obj {
  constructor(
    cocoa: CocoaRecorder,
    readonly js: string,
  ) {
    super(cocoa, 'NSString');
  }
  dataUsingEncoding(enc: number): FakeData {
    if (enc !== 4) throw new Error(`unexpected encoding ${enc}`);
    return new FakeData(this.cocoa, Buffer.from(this.js, 'utf8'));
  }
}

export class FakeImage extends Obj {
  size: { width: number; height: number } | null = null;
  template = false;
  constructor(
    cocoa: CocoaRecorder,
    readonly png: Buffer,
  ) {
    super(cocoa, 'NSImage');
  }
  setSize(s: { width: number; height: number }): void {
    this.rec('setSize', s);
    this.size = s;
  }
  setTemplate(t: boolean): void {
    this.rec('setTemplate', t);
    this.template = t;
  }
}

export class FakeMenu extends Obj {
  items: FakeMenuItem[] = [];
  autoenables = true;
  constructor(
    cocoa: CocoaRecorder,
    readonly title: string,
  ) {
    super(cocoa, 'NSMenu');
  }
  setAutoenablesItems(b: boolean): void {
    this.autoenables = b;
  }
  addItem(i: FakeMenuItem): void {
    this.items.push(i);
  }
}

export class FakeMenuItem extends Obj {
  title = '';
  toolTip: string | null = null;
  enabled = true;
  state = 0;
  hidden = false;
  tag = 0;
  target: unknown = null;
  submenu: FakeMenu | null = null;
  constructor(
    cocoa: CocoaRecorder,
    readonly separator: boolean,
    title = '',
    public action: string | null = null,
  ) {
    super(cocoa, separator ? 'NSMenuItem(separator)' : 'NSMenuItem');
    this.title = title;
  }
  setTitle(t: string): void {
    this.rec('setTitle', t);
    this.title = t;
  }
  setToolTip(t: string | null): void {
    this.toolTip = t;
  }
  setEnabled(b: boolean): void {
    this.rec('setEnabled', b);
    this.enabled = b;
  }
  setState(s: number): void {
    this.rec('setState', s);
    this.state = s;
  }
  setHidden(b: boolean): void {
    this.rec('setHidden', b);
    this.hidden = b;
  }
  setTag(n: number): void {
    this.tag = n;
  }
  setTarget(t: unknown): void {
    this.target = t;
  }
  setSubmenu(m: FakeMenu): void {
    this.submenu = m;
  }
}

export class FakeArray extends Obj {
  items: unknown[] = [];
  constructor(cocoa: CocoaRecorder) {
    super(cocoa, 'NSMutableArray');
  }
  addObject(o: unknown): void {
    this.items.push(o);
  }
  get count(): number {
    return this.items.length;
  }
  objectAtIndex(i: number): unknown {
    return this.items[i];
  }
  removeObjectAtIndex(i: number): void {
    this.items.splice(i, 1);
  }
}

/** An instance of a class made with ObjC.registerSubclass. */
export class FakeInstance extends Obj {
  constructor(
    cocoa: CocoaRecorder,
    readonly className: string,
    readonly methods: Record<string, { implementation: (arg: unknown) => void }>,
  ) {
    super(cocoa, className);
  }
}

export class FakeFileHandle extends Obj {
  armedModes: string[] | null = null;
  written = '';
  constructor(cocoa: CocoaRecorder, name: string) {
    super(cocoa, name);
  }
  readInBackgroundAndNotifyForModes(modes: string[]): void {
    this.armedModes = modes;
  }
  writeData(d: FakeData): void {
    if (this.cocoa.stdoutBroken) throw new Error('NSFileHandleOperationException: Broken pipe');
    this.written += d.bytes.toString('utf8');
    this.cocoa.onStdout(d.bytes.toString('utf8'));
  }
}

export class FakeButton extends Obj {
  image: FakeImage | null = null;
  title = '';
  toolTip: string | null = null;
  imagePosition = 0;
  window = { occlusionState: 2, isNil: () => false };
  constructor(cocoa: CocoaRecorder) {
    super(cocoa, 'NSStatusBarButton');
  }
  setImage(i: FakeImage): void {
    this.rec('setImage', i);
    this.image = i;
  }
  setTitle(t: string): void {
    this.rec('setTitle', t);
    this.title = t;
  }
  setToolTip(t: string | null): void {
    this.toolTip = t;
  }
  setImagePosition(p: number): void {
    this.imagePosition = p;
  }
}

export class FakeStatusItem extends Obj {
  readonly button: FakeButton;
  menu: FakeMenu | null = null;
  autosaveName = '';
  isVisible = true;
  constructor(
    cocoa: CocoaRecorder,
    readonly length: number,
  ) {
    super(cocoa, 'NSStatusItem');
    this.button = new FakeButton(cocoa);
  }
  setMenu(m: FakeMenu): void {
    this.rec('setMenu', m);
    this.menu = m;
  }
  setAutosaveName(n: string): void {
    this.autosaveName = n;
  }
}
