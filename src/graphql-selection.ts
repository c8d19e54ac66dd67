// What a client selected below a field: the names of the fields at a path inside the current
// field's selection set (e.g. edges.node of a connection), through fragments and inline
// fragments. @skip/@include are not evaluated: a skipped field counts as selected, which only
// ever asks for more, never less.
import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

export function selectedFieldNames(info: GraphQLResolveInfo, path: readonly string[]): Set<string> {
  let sets: SelectionSetNode[] = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  for (const name of path) {
    sets = fieldsOf(sets, info.fragments).flatMap((field) => (field.name === name && field.selectionSet ? [field.selectionSet] : []));
  }
  return new Set(fieldsOf(sets, info.fragments).map((field) => field.name));
}

function fieldsOf(sets: SelectionSetNode[], fragments: Record<string, FragmentDefinitionNode>): { name: string; selectionSet?: SelectionSetNode | undefined }[] {
  const out: { name: string; selectionSet?: SelectionSetNode | undefined }[] = [];
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) out.push({ name: selection.name.value, selectionSet: selection.selectionSet });
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, seen);
      else if (!seen.has(selection.name.value)) {
        const fragment = fragments[selection.name.value];
        if (fragment) visit(fragment.selectionSet, new Set([...seen, selection.name.value]));
      }
    }
  };
  for (const set of sets) visit(set, new Set());
  return out;
}
