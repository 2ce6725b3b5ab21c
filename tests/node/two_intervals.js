// Two 16 ms intervals created one after the other (a game's physics step, then its
// broadcast), as tests/timers.rs runs them in nodews. Prints how many of the first
// interval's ticks saw other than exactly one tick of the second since its previous
// tick, out of how many.
const TICKS = 120;
let physics = 0;
let broadcastsSinceLastStep = 0;
let outOfStep = 0;
const step = setInterval(() => {
  physics += 1;
  if (physics > 1 && broadcastsSinceLastStep !== 1) outOfStep += 1;
  broadcastsSinceLastStep = 0;
  if (physics === TICKS) {
    clearInterval(step);
    clearInterval(broadcast);
    console.log(`out of step ${outOfStep} of ${TICKS - 1}`);
  }
}, 16);
const broadcast = setInterval(() => {
  broadcastsSinceLastStep += 1;
}, 16);
