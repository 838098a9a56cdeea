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
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0 || input[0].length === 0) return true;
    const length = input[0].length;
    const mono = new Float32Array(length);
    for (const channel of input) {
      for (let i = 0; i < length; i++) mono[i] += channel[i] / input.length;
    }
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
