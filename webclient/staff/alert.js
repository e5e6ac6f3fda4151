// Attention for a new urgent or red-flag contact: a short beep made with WebAudio
// (no audio file) and a marker in the tab title until the window is focused.

let ctx = null;
let baseTitle = document.title;
let alerting = false;

/** Create the audio context during a user gesture (browsers block it otherwise). */
export function unlockAudio() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!ctx && Ctx) ctx = new Ctx();
  if (ctx && ctx.state === 'suspended') ctx.resume();
}

export function beep() {
  if (!ctx) return;
  const now = ctx.currentTime;
  // Two short tones (880 Hz, 660 Hz): noticeable, not alarming.
  [[880, 0], [660, 0.22]].forEach(([freq, start]) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + start);
    gain.gain.exponentialRampToValueAtTime(0.25, now + start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + start + 0.18);
    osc.connect(gain).connect(ctx.destination);
    osc.start(now + start);
    osc.stop(now + start + 0.2);
  });
}

export function titleAlert(text) {
  if (!alerting) baseTitle = document.title;
  alerting = true;
  document.title = `(!) ${text} – ${baseTitle}`;
}

export function clearTitleAlert() {
  if (!alerting) return;
  alerting = false;
  document.title = baseTitle;
}

window.addEventListener('focus', clearTitleAlert);
