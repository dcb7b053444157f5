// Runs an informer of the official JavaScript client over configmaps of one namespace, makes a
// scripted sequence of writes through the same client, and prints the events the informer saw.
// usage: node informer.mjs <kubeconfig> <namespace>
import * as k8s from '@kubernetes/client-node';

const [kubeconfigPath, namespace] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);

const events = [];
const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`,
  () => core.listNamespacedConfigMap({ namespace }));
for (const type of ['add', 'update', 'delete']) {
  informer.on(type, (obj) => events.push([type, obj.metadata.name, obj.data?.step ?? '']));
}
let failure = null;
let stopping = false;
// stop() aborts the watch request and the informer reports that abort as an error; only errors before it count.
informer.on('error', (err) => { if (!stopping) failure = String(err); });
await informer.start();

const wait = async (predicate, what) => {
  const deadline = Date.now() + 20000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; saw ${JSON.stringify(events)} ${failure}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

await wait(() => events.length === 1, 'the existing configmap');
await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'b' }, data: { step: '1' } } });
await core.patchNamespacedConfigMap({ name: 'b', namespace, body: [{ op: 'replace', path: '/data/step', value: '2' }] },
  k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch));
await core.deleteNamespacedConfigMap({ name: 'b', namespace });
await wait(() => events.length === 4, 'four events');
stopping = true;
await informer.stop();
console.log(JSON.stringify({ events, failure }));
process.exit(0);
