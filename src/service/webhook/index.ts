/**
 * Job webhooks: when a job completes, fails or is cancelled, its summary is POSTed (JSON) to the
 * job's `webhook_url`, HMAC-signed, retried with backoff. Receivers check `Parascribe-Signature`
 * with `verifyWebhook` and dedupe on `Parascribe-Delivery`.
 */
export {
  deliverWebhook,
  isRetryableStatus,
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_WEBHOOK_MAX_ATTEMPTS,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookEvent,
  type WebhookOptions,
  type WebhookResult,
} from './deliver.js';
export { signWebhook, verifyWebhook, SIGNATURE_HEADER, DEFAULT_TOLERANCE_SEC } from './signature.js';
