// The live call page: timer, and in voice mode the call's stream (the ElevenLabs Conversational
// AI protocol, see API.md): the microphone captured by an AudioWorklet as 16 kHz PCM16 and sent
// as user_audio_chunk, the prospect's audio played through an AudioWorklet queue, interruptions
// honoured, pings answered, transcripts shown. Text mode posts turns with htmx (the page's form).

const call = document.getElementById("call");
const statusLine = document.getElementById("call-status");
const transcript = document.getElementById("transcript");
const minutesLeft = document.getElementById("minutes-left");
const endForm = document.getElementById("end-form");
let ending = false;

function say(text, problem = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("problem", problem);
}

// --- the timer: updated every second, never announced (role="timer" is not live) -------------

const timer = document.getElementById("timer");
let secondsAtLoad = Number(call?.dataset.secondsElapsed || 0);
let loadedAt = performance.now();
function showTime() {
  const seconds = Math.max(0, Math.floor(secondsAtLoad + (performance.now() - loadedAt) / 1000));
  timer.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}
if (call && timer) setInterval(showTime, 1000);

function resyncTimer(secondsElapsed) {
  secondsAtLoad = secondsElapsed;
  loadedAt = performance.now();
  showTime();
}

// --- the transcript -------------------------------------------------------------------------

const prospectName = () => call.dataset.prospectName || "Prospect";

function addTurn(speaker, text) {
  document.getElementById("transcript-empty")?.remove();
  const item = document.createElement("li");
  item.className = `turn ${speaker}`;
  const who = document.createElement("span");
  who.className = "speaker";
  who.textContent = speaker === "rep" ? "You" : prospectName();
  const said = document.createElement("span");
  said.className = "said";
  said.textContent = text;
  item.append(who, " ", said);
  transcript.append(item);
  transcript.scrollTop = transcript.scrollHeight;
  return item;
}

function correctLastProspectTurn(text) {
  const turns = transcript.querySelectorAll(".turn.prospect .said");
  if (turns.length) turns[turns.length - 1].textContent = text;
}

endForm?.addEventListener("submit", () => {
  ending = true;
  say("Ending the call…");
});

// --- text mode: htmx posts the form; here, what htmx leaves to the page -------------------------

const sayForm = document.getElementById("say-form");
if (sayForm) {
  const box = sayForm.querySelector("textarea");
  const problem = document.getElementById("turn-problem");
  box.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sayForm.requestSubmit();
    }
  });
  sayForm.addEventListener("htmx:beforeRequest", () => {
    document.getElementById("transcript-empty")?.remove();
    sayForm.querySelector("button[type=submit]").disabled = true;
  });
  // fired on the swap's target (the transcript), so listened to where it bubbles
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const from = event.detail.requestConfig?.elt ?? event.detail.elt;
    if (from === sayForm && event.detail.xhr.status >= 400) {
      // a refusal: its message (the server's fragment) where the form shows problems
      event.detail.shouldSwap = false;
      const holder = document.createElement("div");
      holder.innerHTML = event.detail.xhr.responseText;
      document.getElementById("turn-problem").textContent =
        holder.textContent.trim() || "That did not work. Try again.";
      document.getElementById("turn-problem").classList.add("notice", "error");
    }
  });
  sayForm.addEventListener("htmx:afterRequest", (event) => {
    sayForm.querySelector("button[type=submit]").disabled = false;
    if (event.detail.successful) {
      box.value = "";
      problem.classList.remove("notice", "error");
      transcript.scrollTop = transcript.scrollHeight;
    }
    box.focus();
  });
}

// --- voice mode: the stream ---------------------------------------------------------------------

const CLOSE_MESSAGES = {
  1001: "The server is restarting. End the call and start a new one in a moment.",
  1011: "The prospect's voice service failed. End the call: you are billed only for the time it ran.",
  1013: "The service is busy. Reload the page to reconnect, or end the call.",
  4401: "The call's connection link expired. Reload the page to reconnect.",
  4402: "You have no practice minutes left, so the call stopped. End the call to see your feedback.",
  4403: "Voice calls need your consent to voice recording. The call stopped.",
  4404: "This call is not in progress any more.",
};

function streamUrl(url) {
  if (/^wss?:\/\//.test(url)) return url;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${url}`;
}

function base64OfBuffer(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function samplesOfBase64(text) {
  const binary = atob(text);
  const count = binary.length >> 1;
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let value = binary.charCodeAt(2 * i) | (binary.charCodeAt(2 * i + 1) << 8);
    if (value >= 0x8000) value -= 0x10000;
    samples[i] = value / 0x8000;
  }
  return samples;
}

class VoiceCall {
  constructor(url) {
    this.url = url;
    this.socket = null;
    this.context = null;
    this.capture = null;
    this.playback = null;
    this.microphone = null;
    this.ready = false; // the handshake is done: audio may flow
    this.lastInterruption = 0; // audio events up to this id were cut off
  }

  async start() {
    say("Connecting…");
    try {
      await this.startAudio();
    } catch (error) {
      say(`The microphone could not be used (${error.name || error}). Allow it and reload the page.`,
        true);
      return;
    }
    this.open();
  }

  async startAudio() {
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule("/static/audio-capture.js");
    await this.context.audioWorklet.addModule("/static/audio-playback.js");
    this.playback = new AudioWorkletNode(this.context, "pitchlab-playback",
      { numberOfInputs: 0, outputChannelCount: [1] });
    this.playback.connect(this.context.destination);
    this.playback.port.onmessage = (event) => {
      call.dataset.prospectSpeaking = String(Boolean(event.data.playing));
    };
    this.microphone = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    const source = this.context.createMediaStreamSource(this.microphone);
    this.capture = new AudioWorkletNode(this.context, "pitchlab-capture", { numberOfOutputs: 0 });
    this.capture.port.onmessage = (event) => this.sendAudio(event.data);
    source.connect(this.capture);
    // the browser may wait for a gesture before it plays or records: a button to give it
    const button = document.getElementById("sound-on");
    const showButton = () => { button.hidden = this.context?.state !== "suspended"; };
    button.addEventListener("click", () => this.context?.resume());
    this.context.addEventListener("statechange", showButton);
    showButton();
  }

  open() {
    this.socket = new WebSocket(streamUrl(this.url));
    this.socket.addEventListener("open", () => {
      this.send({
        type: "conversation_initiation_client_data",
        conversation_config_override: {},
        dynamic_variables: {},
        custom_llm_extra_body: {},
      });
    });
    this.socket.addEventListener("message", (event) => {
      if (typeof event.data !== "string") return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.handle(message);
    });
    this.socket.addEventListener("close", (event) => this.closed(event));
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  sendAudio(buffer) {
    if (!this.ready || this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ user_audio_chunk: base64OfBuffer(buffer) }));
  }

  handle(message) {
    switch (message.type) {
      case "conversation_initiation_metadata":
        this.ready = true;
        say("Connected. Speak when you are ready.");
        call.dataset.connected = "true";
        break;
      case "audio": {
        const event = message.audio_event || {};
        if ((event.event_id ?? 0) <= this.lastInterruption && event.event_id !== undefined) break;
        if (event.audio_base_64) {
          const samples = samplesOfBase64(event.audio_base_64);
          this.playback?.port.postMessage({ type: "push", samples }, [samples.buffer]);
        }
        break;
      }
      case "interruption":
        this.lastInterruption = Number(message.interruption_event?.event_id || 0);
        this.playback?.port.postMessage({ type: "clear" });
        call.dataset.lastInterruption = String(this.lastInterruption);
        break;
      case "ping":
        this.send({ type: "pong", event_id: message.ping_event?.event_id });
        break;
      case "user_transcript": {
        const text = message.user_transcription_event?.user_transcript;
        if (text && text.trim()) addTurn("rep", text.trim());
        break;
      }
      case "agent_response": {
        const text = message.agent_response_event?.agent_response;
        if (text) addTurn("prospect", text);
        break;
      }
      case "agent_response_correction": {
        const text = message.agent_response_correction_event?.corrected_agent_response;
        if (text) correctLastProspectTurn(text);
        break;
      }
      case "session_status":
        if (typeof message.minutes_remaining === "number") {
          minutesLeft.textContent = String(message.minutes_remaining);
        }
        if (typeof message.seconds_elapsed === "number") resyncTimer(message.seconds_elapsed);
        break;
      case "error":
        if (message.error_event?.message) say(message.error_event.message, true);
        break;
      default:
        break; // types this page does not know are ignored, as the protocol says
    }
  }

  closed(event) {
    this.ready = false;
    call.dataset.connected = "false";
    this.stopAudio();
    if (event.code === 4402) minutesLeft.textContent = "0";
    if (ending) return;
    if (event.code === 1000) {
      say("The call has ended. End it here to see your feedback.");
    } else {
      say(CLOSE_MESSAGES[event.code]
        || `The connection closed (code ${event.code}). Reload the page to reconnect, or end the call.`,
        true);
    }
  }

  stopAudio() {
    for (const track of this.microphone?.getTracks() || []) track.stop();
    this.playback?.port.postMessage({ type: "clear" });
    this.context?.close().catch(() => {});
    this.context = null;
  }
}

if (call?.dataset.mode === "voice" && call.dataset.streamUrl) {
  const voice = new VoiceCall(call.dataset.streamUrl);
  endForm?.addEventListener("submit", () => {
    voice.socket?.close(1000, "ended by the rep");
    voice.stopAudio();
  });
  voice.start();
}
