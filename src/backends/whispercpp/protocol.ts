/** Messages between the parent (pool.ts) and a whisper.cpp worker process (worker.ts), over IPC. */
import type { Utterance } from '../../transcript.js';

export interface VadParams {
  threshold?: number;
  minSpeechDurationMs?: number;
  minSilenceDurationMs?: number;
  speechPadMs?: number;
}

/** First message to a fresh worker: what to load. */
export interface InitMessage {
  type: 'init';
  modelPath: string;
  useGpu: boolean;
  gpuLibrary: 'cuda' | 'vulkan';
  threads: number;
  vadModelPath?: string;
}

export interface JobMessage {
  type: 'transcribe';
  id: number;
  /** 16 kHz mono s16le (sent with the `advanced` serialization, so no base64). */
  pcm: Uint8Array;
  /** ISO-639-1 or 'auto'. */
  language: string;
  translate: boolean;
  prompt?: string;
  threads: number;
  wordTimestamps: boolean;
  vad: VadParams;
}

export type ToWorker = InitMessage | JobMessage;

export interface ReadyReply {
  type: 'ready';
  /** Model (and VAD model) load time in the worker. */
  loadMs: number;
  /** The binding build in use: 'default' (CPU), 'cuda' or 'vulkan'. */
  library: string;
  warnings: string[];
}

export interface LoadFailedReply {
  type: 'load-failed';
  stage: 'binding' | 'model' | 'vad-model';
  message: string;
}

export interface SpeechInfo {
  /** Speech regions VAD found, in seconds of the segment. */
  regions: Array<[number, number]>;
  /** Audio handed to whisper (speech plus the short gaps between regions). */
  inferenceSec: number;
}

export interface ResultReply {
  type: 'result';
  id: number;
  /** VAD plus inference, measured in the worker. */
  computeMs: number;
  language?: string;
  utterances: Utterance[];
  /** Present when VAD ran. */
  speech?: SpeechInfo;
}

export interface JobFailedReply {
  type: 'failed';
  id: number;
  message: string;
}

export type FromWorker = ReadyReply | LoadFailedReply | ResultReply | JobFailedReply;
