// An informer of the official JavaScript client that is forced through a 410: its watch ends (the
// server runs with a short --min-request-timeout), and by then its resourceVersion has left the watch
// cache's small configmap window and etcd has compacted it, so the re-watch gets an ERROR 410 and the
// informer must relist and carry on.
// usage: node informer-relist.mjs <kubeconfig> <namespace> <other namespace>
import * as k8s from '@kubernetes/client-node';

const [kubeconfigPath, namespace, otherNamespace] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);

const events = [];
let lists = 0;
const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`,
  () => { lists++; return core.listNamespacedConfigMap({ namespace }); });
for (const type of ['add', 'update', 'delete']) {
  informer.on(type, (obj) => events.push([type, obj.metadata.name, obj.data?.step ?? '']));
}
let failure = null;
let stopping = false;
informer.on('error', (err) => { if (!stopping) failure = String(err); });
await informer.start();

// The bound only keeps a stuck run from hanging: on a loaded 2-core machine one step can take tens of seconds.
const wait = async (predicate, what, ms = 120000) => {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; saw ${JSON.stringify(events)} lists=${lists} ${failure}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

await wait(() => events.length === 1, 'the existing configmap');
await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'b' }, data: { step: '1' } } });
await wait(() => events.length === 2, 'b');
// Writes elsewhere move the configmap window past what this informer has seen.
for (let i = 0; i < 6; i++) {
  await core.createNamespacedConfigMap({ namespace: otherNamespace, body: { metadata: { name: `filler-${i}` } } });
}
// The watch ends within 2 x --min-request-timeout; the re-watch is refused with 410 and the informer relists.
await wait(() => lists >= 2, 'a relist after 410');
await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'c' }, data: { step: '2' } } });
await core.deleteNamespacedConfigMap({ name: 'a', namespace });
await wait(() => events.length === 4, 'c and the deletion of a');
stopping = true;
await informer.stop();
console.log(JSON.stringify({ events, lists, failure }));
process.exit(0);
