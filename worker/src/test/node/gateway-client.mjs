// OpenAI's official Node client against the gateway (run by GatewayIT with BASE_URL, API_KEY,
// MODEL). Each check prints one JSON line; the Java test reads them and checks the fleet's side
// (the cancel on the prompts' topics, one generation per Idempotency-Key). Exits non-zero on the
// first check that fails here.
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.BASE_URL, apiKey: process.env.API_KEY, maxRetries: 0 });
const model = process.env.MODEL;
const report = (check, fields) => console.log(JSON.stringify({ check, ...fields }));
const fail = (message) => { console.error(message); process.exit(1); };

// A plain completion.
const plain = await client.completions.create({ model, prompt: 'The capital of France is', max_tokens: 8, temperature: 0 });
if (plain.object !== 'text_completion' || plain.choices.length !== 1 || plain.usage.completion_tokens !== 8) {
  fail('plain: unexpected ' + JSON.stringify(plain));
}
report('plain', { id: plain.id, text: plain.choices[0].text, finish_reason: plain.choices[0].finish_reason });

// The same, streamed, with usage at the end.
const stream = await client.completions.create({ model, prompt: 'The capital of France is', max_tokens: 8, temperature: 0,
  stream: true, stream_options: { include_usage: true } });
let text = ''; let finish = null; let usage = null; let chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length > 0) {
    text += chunk.choices[0].text;
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  if (chunk.usage) usage = chunk.usage;
}
if (text !== plain.choices[0].text || finish !== 'length' || !usage || usage.completion_tokens !== 8) {
  fail('stream: ' + JSON.stringify({ text, finish, usage, plain: plain.choices[0].text }));
}
report('stream', { chunks, text, usage });

// A bad parameter: the client throws BadRequestError naming the field.
try {
  await client.completions.create({ model, prompt: 'x', max_tokens: 8, temperature: -1 });
  fail('bad parameter: no error');
} catch (e) {
  if (!(e instanceof OpenAI.BadRequestError) || e.status !== 400 || e.param !== 'temperature') {
    fail('bad parameter: ' + e);
  }
  report('bad_parameter', { status: e.status, param: e.param, message: e.message });
}

// An unknown model: NotFoundError.
try {
  await client.completions.create({ model: 'gpt-4o', prompt: 'x' });
  fail('unknown model: no error');
} catch (e) {
  if (!(e instanceof OpenAI.NotFoundError)) fail('unknown model: ' + e);
  report('unknown_model', { status: e.status });
}

// A client that goes away mid-stream: abort after the first chunks of a long generation.
const controller = new AbortController();
const long = await client.completions.create({ model, prompt: 'Tell me a long story', max_tokens: 1500, temperature: 0,
  ignore_eos: true, stream: true }, { signal: controller.signal });
let abortedId = null; let seen = 0;
try {
  for await (const chunk of long) {
    abortedId = chunk.id;
    if (++seen >= 3) {
      controller.abort();   // the client's iterator ends quietly on its own abort
      break;
    }
  }
} catch (e) {
  if (!(e instanceof OpenAI.APIUserAbortError) && e.name !== 'AbortError') fail('disconnect: ' + e);
}
if (!controller.signal.aborted || seen < 3) fail('disconnect: the stream ended by itself after ' + seen + ' chunks');
report('disconnect', { id: abortedId, chunks: seen });

// A POST retried with the same Idempotency-Key: one generation, the same answer twice.
const key = 'node-' + Date.now();
const first = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 6 },
  { headers: { 'Idempotency-Key': key } });
const again = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 6 },
  { headers: { 'Idempotency-Key': key } });
if (first.id !== again.id || first.choices[0].text !== again.choices[0].text) {
  fail('idempotency: ' + JSON.stringify({ first, again }));
}
report('idempotency', { id: first.id, text: first.choices[0].text });

// Models.
const models = await client.models.list();
if (models.data.length !== 1 || models.data[0].id !== model) fail('models: ' + JSON.stringify(models.data));
report('models', { ids: models.data.map(m => m.id) });
