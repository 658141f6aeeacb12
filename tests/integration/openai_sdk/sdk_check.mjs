// Calls a gateway worker with the official `openai` npm package, as an application would: a plain
// chat completion, a streamed one (with and without the usage chunk), embeddings, and a refused
// key. Prints one JSON object with what the SDK returned and exits 1 when a check fails.
//   GW_BASE_URL=http://127.0.0.1:8080/v1 GW_API_KEY=sk-... GW_MODEL=chat \
//     GW_EMBEDDING_MODEL=embed GW_EXPECT_CONTENT='hello from the sdk' node sdk_check.mjs
// The same settings are accepted as arguments: node sdk_check.mjs BASE_URL KEY MODEL.
import OpenAI from 'openai';

const [argBase, argKey, argModel] = process.argv.slice(2);
const baseURL = argBase ?? process.env.GW_BASE_URL;
const apiKey = argKey ?? process.env.GW_API_KEY;
const model = argModel ?? process.env.GW_MODEL;
const embeddingModel = process.env.GW_EMBEDDING_MODEL ?? '';
const prompt = process.env.GW_PROMPT ?? 'hello from the sdk';
const expectedContent = process.env.GW_EXPECT_CONTENT ?? '';
if (!baseURL || !apiKey || !model) {
  console.error('usage: node sdk_check.mjs BASE_URL API_KEY MODEL (or GW_BASE_URL, GW_API_KEY, GW_MODEL)');
  process.exit(2);
}

const client = new OpenAI({apiKey, baseURL, maxRetries: 0, timeout: 20000});
const messages = [{role: 'user', content: prompt}];
const result = {};
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

// Collects a stream's chunks; the content pieces in order.
async function collect(stream) {
  const out = {chunks: 0, content_chunks: 0, content: '', usage: null, finish_reason: null};
  for await (const chunk of stream) {
    out.chunks += 1;
    const choice = chunk.choices[0];
    const piece = choice?.delta?.content;
    if (piece) {
      out.content_chunks += 1;
      out.content += piece;
    }
    if (choice?.finish_reason) out.finish_reason = choice.finish_reason;
    if (chunk.usage) out.usage = chunk.usage;
  }
  return out;
}

try {
  const chat = await client.chat.completions.create({model, messages});
  result.chat = {
    id: chat.id,
    object: chat.object,
    model: chat.model,
    content: chat.choices[0]?.message?.content ?? null,
    finish_reason: chat.choices[0]?.finish_reason ?? null,
    usage: chat.usage ?? null,
  };
  check(chat.object === 'chat.completion', 'chat: object');
  check(typeof result.chat.content === 'string' && result.chat.content.length > 0, 'chat: content');
  check(!expectedContent || result.chat.content === expectedContent, 'chat: expected content');
  const usage = result.chat.usage;
  check(usage && usage.total_tokens === usage.prompt_tokens + usage.completion_tokens,
        'chat: usage');

  result.stream = await collect(await client.chat.completions.create({model, messages, stream: true}));
  check(result.stream.content_chunks >= 2, 'stream: several content chunks');
  check(result.stream.content === result.chat.content, 'stream: content equals the plain answer');
  check(result.stream.usage === null, 'stream: no usage chunk unless asked for');
  check(result.stream.finish_reason === 'stop', 'stream: finish_reason');

  result.stream_with_usage = await collect(await client.chat.completions.create(
      {model, messages, stream: true, stream_options: {include_usage: true}}));
  check(result.stream_with_usage.content === result.chat.content, 'stream with usage: content');
  check(result.stream_with_usage.usage?.total_tokens === usage?.total_tokens,
        'stream with usage: usage equals the plain answer\'s');

  if (embeddingModel) {
    // The SDK asks for base64 vectors by default and decodes them.
    const embeddings =
        await client.embeddings.create({model: embeddingModel, input: ['one two', 'three']});
    result.embeddings = {
      count: embeddings.data.length,
      dimensions: embeddings.data[0]?.embedding?.length ?? 0,
      usage: embeddings.usage ?? null,
    };
    check(result.embeddings.count === 2 && result.embeddings.dimensions > 0, 'embeddings: vectors');
  }

  // A refused key surfaces as the SDK's typed error, parsed from the gateway's error body.
  const refused = new OpenAI({apiKey: 'sk-not-a-gateway-key', baseURL, maxRetries: 0});
  try {
    await refused.chat.completions.create({model, messages});
    result.refused = {status: 200};
    check(false, 'refused key: no error');
  } catch (err) {
    result.refused = {
      class: err?.constructor?.name ?? null,
      status: err?.status ?? null,
      type: err?.type ?? null,
      code: err?.code ?? null,
    };
    check(err instanceof OpenAI.AuthenticationError, 'refused key: AuthenticationError');
  }
} catch (err) {
  result.error = {
    class: err?.constructor?.name ?? null,
    status: err?.status ?? null,
    message: String(err?.message ?? err),
  };
  failures.push('unexpected error');
}

result.failures = failures;
console.log(JSON.stringify(result));
process.exit(failures.length === 0 ? 0 : 1);
