/** The fake Slack itself: it must catch what real Slack would refuse, or the bridge tests prove nothing. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebClient } from "@slack/web-api";
import { WebSocket } from "ws";
import { startFakeSlack, type FakeSlack } from "./fake-slack.js";

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack?.close();
});

const quiet = { retryConfig: { retries: 0 } };

describe("fake Slack", () => {
  it("answers the Web API like Slack: tokens by kind, documented chat.postMessage arguments only", async () => {
    const bot = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, ...quiet });
    const app = new WebClient(slack.appToken, { slackApiUrl: slack.apiUrl, ...quiet });
    await expect(bot.apps.connections.open({})).rejects.toMatchObject({ data: { error: "not_allowed_token_type" } });
    expect((await app.apps.connections.open({})).url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\//);
    await expect(new WebClient("xoxb-wrong", { slackApiUrl: slack.apiUrl, ...quiet }).auth.test()).rejects.toMatchObject({ data: { error: "invalid_auth" } });
    const res = await bot.chat.postMessage({ channel: slack.channelId, text: "hi", thread_ts: "1700000000.000100", unfurl_links: false });
    expect(res).toMatchObject({ ok: true, channel: slack.channelId, message: { text: "hi", thread_ts: "1700000000.000100" } });
    expect(slack.violations).toEqual([]);
    await bot.apiCall("chat.postMessage", { channel: slack.channelId, text: "x", thread_ts: "not-a-ts", colour: "red" });
    expect(slack.violations).toEqual(["chat.postMessage: undocumented argument colour", "chat.postMessage: thread_ts not-a-ts is not a message ts"]);
    await expect(bot.chat.postMessage({ channel: "C0NOWHERE", text: "x" })).rejects.toMatchObject({ data: { error: "channel_not_found" } });
    await expect(bot.chat.postMessage({ channel: slack.channelId, text: "x".repeat(40_001) })).rejects.toMatchObject({ data: { error: "msg_too_long" } });
    slack.violations.length = 0;
  });

  it("sends an envelope again, marked as a retry, when it is not acknowledged within 3 s", async () => {
    const { url } = await new WebClient(slack.appToken, { slackApiUrl: slack.apiUrl, ...quiet }).apps.connections.open({});
    const ws = new WebSocket(url!);
    const frames: Array<Record<string, unknown>> = [];
    ws.on("message", (raw) => frames.push(JSON.parse(String(raw)) as Record<string, unknown>));
    await new Promise((r) => ws.once("open", r));
    try {
      await slack.until(() => frames.some((f) => f.type === "hello"), "hello");
      slack.pushMessage({ text: "unanswered" });
      // (the bot messages of the test above were echoed with no connection open: they arrive as retries too)
      const mine = () => frames.filter((f) => (f.payload as { event?: { text?: string } } | undefined)?.event?.text === "unanswered");
      await slack.until(() => mine().length >= 2, "the retry", 8_000);
      const [first, retry] = mine();
      expect(retry).toMatchObject({ envelope_id: first!.envelope_id, retry_attempt: 1, retry_reason: "timeout" });
      expect(first).toMatchObject({ retry_attempt: 0, payload: { type: "event_callback", event: { type: "message", text: "unanswered" } } });
      ws.send(JSON.stringify({ envelope_id: first!.envelope_id }));
      const env = slack.envelopes.find((e) => e.envelopeId === first!.envelope_id)!;
      await slack.until(() => env.ackMs !== undefined, "the ack");
      expect(env.ackMs).toBeGreaterThanOrEqual(3000);
      ws.send(JSON.stringify({ envelope_id: "nope" }));
      await slack.until(() => slack.violations.length > 0, "the violation");
      expect(slack.violations).toEqual(["socket: acknowledged an unknown envelope nope"]);
    } finally {
      ws.close();
    }
  });
});
