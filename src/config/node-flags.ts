/**
 * The V8 flags the daemon's node runs with, wherever it is started: the `maxproxy` bin's
 * shebang, `npm start`, the login items, and the test and bench harnesses (so what is tested
 * and measured is what users run). A unit test keeps the shebang and `npm start` in step.
 *
 * `--max-semi-space-size=2` (MB): V8 grows its young generation from 1 MB up to 16 MB per
 * semi-space under a steady allocation rate and gives it back only when the process idles,
 * so a busy daemon's RSS swung by up to ~30 MB with the load, not with what it holds. A 2 MB
 * cap keeps it within ~4 MB; the cost, more frequent (and shorter) scavenges, did not move
 * the per-delta forwarding figures beyond the machine's noise. Measured: docs/decisions/099.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
