// Drives studygraph's /v1 with the official openai npm client; prints what it saw as JSON.
// Run by tests/e2e/test_openai_compat_node.py, which checks the output.
import OpenAI from "openai";

const { STUDYGRAPH_BASE_URL: baseURL, STUDYGRAPH_KEY: apiKey, STUDYGRAPH_REVOKED_KEY: revoked,
        STUDYGRAPH_MODEL: model } = process.env;
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });
const question = [{ role: "user", content: "What is a list?" }];

const models = (await client.models.list()).data.map((m) => m.id);
const whole = await client.chat.completions.create({ model, messages: question });
let streamed = "";
let citations = null;
let usage = null;
const stream = await client.chat.completions.create({
  model, messages: question, stream: true, stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  for (const choice of chunk.choices) streamed += choice.delta?.content ?? "";
  if (chunk.citations) citations = chunk.citations;
  if (chunk.usage) usage = chunk.usage;
}
let revokedStatus = null;
try {
  await new OpenAI({ baseURL, apiKey: revoked, maxRetries: 0 }).models.list();
} catch (error) {
  revokedStatus = error.status ?? String(error);
}
console.log(JSON.stringify({
  models,
  whole: { content: whole.choices[0].message.content, citations: whole.citations,
           usage: whole.usage },
  streamed: { content: streamed, citations, usage },
  revokedStatus,
}));
