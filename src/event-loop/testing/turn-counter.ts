/** Counts the event loop's turns (setImmediate callbacks) until stopped: proof that some work yielded. */
export function countTurns(): { stop: () => number } {
  let turns = 0;
  let counting = true;
  const tick = () => {
    turns++;
    if (counting) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      counting = false;
      return turns;
    },
  };
}
