// GraphQL enums from the domain's value lists: `asEnum(ROLES)` is the object TypeGraphQL's
// registerEnumType wants ({ ADMIN: 'ADMIN', ... }), so a GraphQL enum value is the domain value
// itself and nothing maps between the two.
export function asEnum<T extends string>(values: readonly T[]): { [K in T]: K } {
  return Object.fromEntries(values.map((v) => [v, v])) as { [K in T]: K };
}
