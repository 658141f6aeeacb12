// Manual check that the official OpenAI SDK (npm "openai", 6.x on Node 20) accepts the fake:
//   npm install openai@6 && node openai_sdk_check.mjs http://127.0.0.1:PORT/v1
// against `gw-fake-provider --require-key sk-test-123`. Prints "SDK CHECK OK" or what failed.
import OpenAI from 'openai';

const base = process.argv[2];
const client = new OpenAI({apiKey: 'sk-test-123', baseURL: base, maxRetries: 0});
const fail = (what) => {
  console.log('FAIL', what);
  process.exitCode = 1;
};

const chat = await client.chat.completions.create(
    {model: 'gpt-4o-mini', messages: [{role: 'user', content: 'hello there sdk'}], max_tokens: 2});
if (chat.choices[0].message.content !== 'hello there' || chat.usage.completion_tokens !== 2 ||
    chat.choices[0].finish_reason !== 'length') {
  fail('chat completion');
}

const stream = await client.chat.completions.create({
  model: 'gpt-4o-mini',
  messages: [{role: 'user', content: 'a b c'}],
  stream: true,
  stream_options: {include_usage: true},
});
let text = '';
let usage = null;
for await (const chunk of stream) {
  text += chunk.choices[0]?.delta?.content ?? '';
  if (chunk.usage) usage = chunk.usage;
}
if (text !== 'a b c' || usage?.total_tokens !== 6) fail('stream');

const runner = client.chat.completions.stream(
    {model: 'm', messages: [{role: 'user', content: 'x y'}], stream_options: {include_usage: true}});
const final = await runner.finalChatCompletion();
if (final.choices[0].message.content !== 'x y') fail('stream helper');

// The SDK asks for base64 by default and decodes it.
const embeddings =
    await client.embeddings.create({model: 'text-embedding-3-small', input: ['hi', 'there you']});
if (embeddings.data[0].embedding.length !== 8 || embeddings.usage.prompt_tokens !== 3) {
  fail('embeddings');
}

const models = [];
for await (const model of client.models.list()) models.push(model.id);
if (models.length === 0) fail('models');

for (const status of [400, 401, 404, 429, 500, 503]) {
  try {
    await client.chat.completions.create(
        {model: 'm', messages: [{role: 'user', content: 'x'}], x_fake: {status}});
    fail(`no error for ${status}`);
  } catch (err) {
    if (err.status !== status) fail(`status ${status}`);
  }
}

// The SDK retries 429 after Retry-After: the fake fails twice, then answers.
const retrying = new OpenAI({apiKey: 'sk-test-123', baseURL: base, maxRetries: 2});
await fetch(base.replace(/\/v1$/, '/_fake/behaviour'),
            {method: 'POST', body: JSON.stringify({status: 429, times: 2, retry_after_s: 0})});
const retried = await retrying.chat.completions.create(
    {model: 'm', messages: [{role: 'user', content: 'retry ok'}]});
if (retried.choices[0].message.content !== 'retry ok') fail('retry');

// A reset mid-stream must surface as an error, never as a clean end.
try {
  const broken = await client.chat.completions.create({
    model: 'm',
    messages: [{role: 'user', content: 'a b c d e'}],
    stream: true,
    x_fake: {reset_after_chunks: 2},
  });
  for await (const chunk of broken) void chunk;
  fail('reset not surfaced');
} catch (err) {
  void err;
}

console.log(process.exitCode ? 'SDK CHECK FAILED' : 'SDK CHECK OK');
