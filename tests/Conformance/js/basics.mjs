// Drives the official JavaScript client (@kubernetes/client-node) through the basics and prints
// what it saw as one JSON document for the conformance test to assert on.
// usage: node basics.mjs <kubeconfig> <namespace>
import * as k8s from '@kubernetes/client-node';

const [kubeconfigPath, namespace] = process.argv.slice(2);
const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfigPath);
const core = kc.makeApiClient(k8s.CoreV1Api);

const namespaces = await core.listNamespace();
const created = await core.createNamespacedConfigMap({
  namespace,
  body: { metadata: { name: 'from-js', labels: { client: 'js' } }, data: { greeting: 'hello' } },
});
const read = await core.readNamespacedConfigMap({ name: 'from-js', namespace });
const selected = await core.listNamespacedConfigMap({ namespace, labelSelector: 'client=js' });
let conflict = null;
try {
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'from-js' } } });
} catch (e) {
  conflict = { code: e.code, body: typeof e.body === 'string' ? JSON.parse(e.body) : e.body };
}
await core.deleteNamespacedConfigMap({ name: 'from-js', namespace });
let missing = null;
try {
  await core.readNamespacedConfigMap({ name: 'from-js', namespace });
} catch (e) {
  missing = e.code;
}

console.log(JSON.stringify({
  namespaces: namespaces.items.map((n) => n.metadata.name),
  createdUid: created.metadata.uid,
  readUid: read.metadata.uid,
  greeting: read.data.greeting,
  selected: selected.items.map((i) => i.metadata.name),
  conflict,
  missing,
}));
