// AudioWorklet: the prospect's voice. The page posts 16 kHz samples (Float32Array); they are
// queued and played at the context's rate. {type: "clear"} drops everything queued at once
// (the rep interrupted the prospect).
const SOURCE_RATE = 16000;

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.position = 0; // in source samples, into queue[0]
    this.step = SOURCE_RATE / sampleRate;
    this.playing = false;
    this.port.onmessage = (event) => {
      const message = event.data;
      if (message.type === "clear") {
        this.queue = [];
        this.position = 0;
      } else if (message.type === "push") {
        this.queue.push(message.samples);
      }
    };
  }

  process(_inputs, outputs) {
    const output = outputs[0];
    const channel = output[0];
    for (let i = 0; i < channel.length; i++) {
      let value = 0;
      while (this.queue.length && this.position >= this.queue[0].length) {
        this.position -= this.queue[0].length;
        this.queue.shift();
      }
      if (this.queue.length) {
        // linear interpolation between the two source samples around this output sample
        const chunk = this.queue[0];
        const index = Math.floor(this.position);
        const fraction = this.position - index;
        const next = index + 1 < chunk.length ? chunk[index + 1]
          : (this.queue.length > 1 ? this.queue[1][0] : chunk[index]);
        value = chunk[index] + (next - chunk[index]) * fraction;
        this.position += this.step;
      }
      channel[i] = value;
    }
    for (let c = 1; c < output.length; c++) output[c].set(channel);
    const playing = this.queue.length > 0;
    if (playing !== this.playing) {
      this.playing = playing;
      this.port.postMessage({ playing });
    }
    return true;
  }
}

registerProcessor("pitchlab-playback", PlaybackProcessor);
