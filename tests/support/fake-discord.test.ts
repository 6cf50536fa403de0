import { describe, it, expect, afterEach } from "vitest";
import { Client, Events, GatewayIntentBits, Partials, type Message } from "discord.js";
import { startFakeDiscord, type FakeDiscord } from "./fake-discord.js";

let fake: FakeDiscord | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.destroy();
  await fake?.close();
  client = undefined;
  fake = undefined;
});

/** Resolves with the next `messageCreate` not written by the bot itself. */
function nextUserMessage(c: Client): Promise<Message> {
  return new Promise((resolve) => {
    const onMessage = (m: Message): void => {
      if (m.author.id === c.user?.id) return;
      c.off(Events.MessageCreate, onMessage);
      resolve(m);
    };
    c.on(Events.MessageCreate, onMessage);
  });
}

async function login(f: FakeDiscord): Promise<Client> {
  const c = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.DirectMessages,
      GatewayIntentBits.MessageContent,
    ],
    partials: [Partials.Channel],
    rest: { api: f.apiUrl },
  });
  const ready = new Promise<void>((resolve) => c.once(Events.ClientReady, () => resolve()));
  await c.login("fake-token");
  await ready;
  return c;
}

describe("fake Discord", () => {
  it("lets a real discord.js client log in, receive a guild mention and a DM, and reply", async () => {
    fake = await startFakeDiscord();
    client = await login(fake);
    expect(client.user?.id).toBe(fake.botUser.id);
    expect(client.guilds.cache.get(fake.guildId)?.channels.cache.has(fake.channelId)).toBe(true);

    const guildMsg = nextUserMessage(client);
    const guildId = fake.pushMessage({ content: "hello bot", mentionBot: true, authorName: "ann" });
    const m1 = await guildMsg;
    expect(m1.id).toBe(guildId);
    expect(m1.guildId).toBe(fake.guildId);
    expect(m1.content).toBe(`<@${fake.botUser.id}> hello bot`);
    expect(m1.mentions.users.has(fake.botUser.id)).toBe(true);
    expect(m1.author.username).toBe("ann");
    expect(m1.channel.isSendable()).toBe(true);
    if (m1.channel.isSendable()) await m1.channel.sendTyping();
    await m1.reply({ content: "hi ann", allowedMentions: { parse: [] } });

    const dmMsg = nextUserMessage(client);
    const dmId = fake.pushMessage({ content: "private question", guild: false, authorId: "1002", authorName: "bob" });
    const m2 = await dmMsg;
    expect(m2.id).toBe(dmId);
    expect(m2.guildId).toBeNull();
    expect(m2.channel.isDMBased()).toBe(true);
    expect(m2.author.id).toBe("1002");
    await m2.reply("private answer");

    const sent = await fake.waitForSent(2);
    expect(sent[0]).toMatchObject({ channelId: fake.channelId, content: "hi ann", messageReference: guildId });
    expect(sent[1]).toMatchObject({ channelId: fake.dmChannelId, content: "private answer", messageReference: dmId });
    expect(fake.typing).toEqual([fake.channelId]);
  });

  it("answers unknown routes with a Discord-style 404 and times out waitForSent", async () => {
    fake = await startFakeDiscord();
    const res = await fetch(`${fake.apiUrl}/v10/guilds/1/bans`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: "Unknown route", code: 0 });
    const me = (await (await fetch(`${fake.apiUrl}/v10/users/@me`)).json()) as { id: string };
    expect(me.id).toBe(fake.botUser.id);
    await expect(fake.waitForSent(1, 50)).rejects.toThrow(/expected 1 sent messages, got 0/);
  });

  it("resumes after the gateway drops the connection", async () => {
    fake = await startFakeDiscord();
    client = await login(fake);
    const resumed = new Promise<void>((resolve) => client!.once(Events.ShardResume, () => resolve()));
    fake.dropConnections();
    await resumed;
    const next = nextUserMessage(client);
    fake.pushMessage({ content: "still there?" });
    expect((await next).content).toBe("still there?");
  });
});
