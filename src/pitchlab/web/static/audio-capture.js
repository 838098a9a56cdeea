// AudioWorklet: the microphone's samples, mixed to mono, resampled to 16 kHz and sent to the
// page as 16-bit PCM in chunks of 100 ms (the stream's user_audio_chunk, pcm_16000).
const TARGET_RATE = 16000;
const CHUNK_SAMPLES = 1600;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE; // input samples per output sample
    this.position = 0; // where the next output sample falls (fractional), in samples[]
    this.previous = 0; // the last input sample of the previous block, for interpolation
    this.chunk = new Int16Array(CHUNK_SAMPLES);
    this.filled = 0;
    // a moving average as wide as the step keeps what 16 kHz cannot hold from aliasing
    this.width = Math.max(1, Math.round(this.step));
    this.history = new Float32Array(this.width - 1);
  }

  smoothed(mono) {
    const width = this.width;
    if (width === 1) return mono;
    const joined = new Float32Array(width - 1 + mono.length);
    joined.set(this.history);
    joined.set(mono, width - 1);
    const out = new Float32Array(mono.length);
    let sum = 0;
    for (let k = 0; k < width - 1; k++) sum += joined[k];
    for (let i = 0; i < mono.length; i++) {
      sum += joined[i + width - 1];
      out[i] = sum / width;
      sum -= joined[i];
    }
    this.history = joined.slice(mono.length);
    return out;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0 || input[0].length === 0) return true;
    const length = input[0].length;
    const mixed = new Float32Array(length);
    for (const channel of input) {
      for (let i = 0; i < length; i++) mixed[i] += channel[i] / input.length;
    }
    const mono = this.smoothed(mixed);
    // samples[0] is the previous block's last sample: interpolation spans the blocks
    const samples = new Float32Array(length + 1);
    samples[0] = this.previous;
    samples.set(mono, 1);
    while (this.position < length) {
      const index = Math.floor(this.position);
      const fraction = this.position - index;
      const left = samples[index];
      const value = Math.max(-1, Math.min(1, left + (samples[index + 1] - left) * fraction));
      this.chunk[this.filled++] = value < 0 ? value * 0x8000 : value * 0x7fff;
      if (this.filled === CHUNK_SAMPLES) {
        this.port.postMessage(this.chunk.buffer, [this.chunk.buffer]);
        this.chunk = new Int16Array(CHUNK_SAMPLES);
        this.filled = 0;
      }
      this.position += this.step;
    }
    this.position -= length;
    this.previous = mono[length - 1];
    return true;
  }
}

registerProcessor("pitchlab-capture", CaptureProcessor);
