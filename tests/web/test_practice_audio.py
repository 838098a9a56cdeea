"""The call page's AudioWorklets in Chromium, rendered offline (no clock, no device): the capture
worklet turns 48 kHz into 16 kHz PCM16 chunks of 100 ms that keep the pitch, and the playback
worklet plays 16 kHz samples at the context's rate and drops its queue at once on "clear"."""

from __future__ import annotations

CAPTURE = """async () => {
  const context = new OfflineAudioContext(1, 48000, 48000);
  await context.audioWorklet.addModule("/static/audio-capture.js");
  const tone = new OscillatorNode(context, { frequency: 440 });
  const node = new AudioWorkletNode(context, "pitchlab-capture", { numberOfOutputs: 0 });
  const chunks = [];
  const enough = new Promise((resolve) => {
    node.port.onmessage = (event) => {
      chunks.push(new Int16Array(event.data));
      if (chunks.length === 9) resolve();
    };
  });
  tone.connect(node);
  tone.start();
  await context.startRendering();
  await enough;
  const samples = chunks.flatMap((chunk) => Array.from(chunk));
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) {
    if ((samples[i - 1] < 0) !== (samples[i] < 0)) crossings++;
  }
  return { sizes: chunks.map((c) => c.length), crossings, seconds: samples.length / 16000,
           peak: Math.max(...samples.map(Math.abs)) };
}"""

PLAYBACK = """async () => {
  const context = new OfflineAudioContext(1, 48000, 48000);
  await context.audioWorklet.addModule("/static/audio-playback.js");
  const node = new AudioWorkletNode(context, "pitchlab-playback",
    { numberOfInputs: 0, outputChannelCount: [1] });
  node.connect(context.destination);
  const second = new Float32Array(16000);
  for (let i = 0; i < second.length; i++) second[i] = 0.5 * Math.sin(2 * Math.PI * 440 * i / 16000);
  const playing = new Promise((resolve) => {
    node.port.onmessage = (event) => { if (event.data.playing) resolve(); };
  });
  node.port.postMessage({ type: "push", samples: second });
  context.suspend(0.5).then(() => {
    node.port.postMessage({ type: "clear" });  // the rep cut in half way through
    context.resume();
  });
  const rendered = (await context.startRendering()).getChannelData(0);
  await playing;
  const first = rendered.slice(0, 24000);
  let crossings = 0;
  let start = first.findIndex((v) => v !== 0);
  for (let i = start + 1; i < first.length; i++) {
    if ((first[i - 1] < 0) !== (first[i] < 0)) crossings++;
  }
  const tail = rendered.slice(24000 + 2048);
  return { start, crossings, seconds: (first.length - start) / 48000,
           tailPeak: Math.max(...Array.from(tail).map(Math.abs)),
           peak: Math.max(...Array.from(first).map(Math.abs)) };
}"""


async def test_the_capture_worklet_sends_16_khz_pcm16_chunks_that_keep_the_pitch(page):
    await page.goto("/login")  # the site's own origin: its CSP allows its worklets
    result = await page.evaluate(CAPTURE)
    assert set(result["sizes"]) == {1600}  # 100 ms each
    frequency = result["crossings"] / 2 / result["seconds"]
    assert 430 < frequency < 450, frequency
    assert result["peak"] > 20000  # a full-scale tone stays loud


async def test_the_playback_worklet_plays_16_khz_at_the_context_rate_and_clears_at_once(page):
    await page.goto("/login")
    result = await page.evaluate(PLAYBACK)
    frequency = result["crossings"] / 2 / result["seconds"]
    assert 430 < frequency < 450, frequency
    assert 0.45 < result["peak"] <= 0.5
    assert result["tailPeak"] == 0  # after "clear", nothing of the queued second is played
