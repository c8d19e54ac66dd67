// One sample operation per root field (Query, Mutation, Subscription): what
// tests/medium/auth-decisions.test.ts runs to compare the permission a resolver declares with the
// one its service asserts. tests/unit/auth-decisions.test.ts fails when a root field has no entry
// here, so a new field cannot skip the comparison. Public fields say so instead of naming a sample.
import { randomUUID } from 'node:crypto';

/** What a sample may ask the test for: real rows, made through the services beforehand. */
export interface SampleFixtures {
  /** The id of a new live user (a different one at each call). */
  user(): Promise<{ id: string; email: string }>;
  /** The id of a new soft-deleted user. */
  deletedUser(): Promise<string>;
  /** The id of a finished import. */
  finishedImport(): Promise<string>;
  /** A GraphQL Upload of this CSV text, as graphql-upload-ts hands it to the schema. */
  upload(csv: string): unknown;
  /** The id of a new webhook endpoint (never delivered to: the sampling services are not started). */
  webhook(): Promise<string>;
}

/** A public address literal: passes the SSRF guard without DNS (nothing is sent to it). */
export const SAMPLE_WEBHOOK_URL = 'https://93.184.215.14/sample-hook';
const withWebhook = (fx: SampleFixtures) => fx.webhook().then((id) => ({ id }));

export interface RootFieldSample {
  /** The operation: it must succeed, so the service is reached for real. */
  operation: string;
  variables?: (fixtures: SampleFixtures) => Promise<Record<string, unknown>>;
}

export type RootFieldEntry = RootFieldSample | { public: true };

/** The password of the admin the samples run as (changeMyPassword must know it). */
export const SAMPLE_ADMIN_PASSWORD = 'sampled-password-0';

const withUser = (fx: SampleFixtures) => fx.user().then(({ id }) => ({ id }));
const withUserId = (fx: SampleFixtures) => fx.user().then(({ id }) => ({ userId: id }));
const withIds = (fx: SampleFixtures) => fx.user().then(({ id }) => ({ ids: [id] }));
const subscription = (field: string, selection = '{ sequence }'): RootFieldSample => ({
  operation: `subscription { ${field} ${selection} }`,
});

export const ROOT_FIELD_SAMPLES: Record<string, RootFieldEntry> = {
  // Query
  me: { operation: '{ me { id } }' },
  user: { operation: 'query($id: ID!) { user(id: $id) { id } }', variables: withUser },
  userByEmail: {
    operation: 'query($email: String!) { userByEmail(email: $email) { id } }',
    variables: (fx) => fx.user().then(({ email }) => ({ email })),
  },
  users: { operation: '{ users(first: 1) { edges { cursor } } }' },
  userStats: { operation: '{ userStats { total } }' },
  userEventLog: { operation: '{ userEventLog(first: 1) { pageInfo { hasNextPage } } }' },
  userLoginHistory: { operation: 'query($userId: ID!) { userLoginHistory(userId: $userId) { hasNextPage } }', variables: withUserId },
  loginHistory: { operation: '{ loginHistory { hasNextPage } }' },
  mySessions: { operation: '{ mySessions { id } }' },
  userSessions: { operation: 'query($userId: ID!) { userSessions(userId: $userId) { id } }', variables: withUserId },
  webhooks: { operation: '{ webhooks { id } }' },
  webhookDeliveries: {
    operation: 'query($id: ID!) { webhookDeliveries(webhookId: $id) { pageInfo { hasNextPage } } }',
    variables: withWebhook,
  },
  userImport: {
    operation: 'query($id: ID!) { userImport(id: $id) { id } }',
    variables: (fx) => fx.finishedImport().then((id) => ({ id })),
  },

  // Mutation
  login: { public: true },
  refreshSession: { public: true },
  // The sampling principal has no session: these end nothing, but still reach their service.
  logout: { operation: 'mutation { logout }' },
  logoutEverywhere: { operation: 'mutation { logoutEverywhere }' },
  unlockUser: { operation: 'mutation($id: ID!) { unlockUser(id: $id) { id } }', variables: withUser },
  revokeUserSessions: { operation: 'mutation($userId: ID!) { revokeUserSessions(userId: $userId) }', variables: withUserId },
  createUser: {
    operation: 'mutation($email: String!) { createUser(input: { email: $email }) { id } }',
    variables: () => Promise.resolve({ email: `sample-${randomUUID()}@example.test` }),
  },
  // With isActive, so the lifecycle's part of an update asserts too.
  userByExternalId: { operation: '{ userByExternalId(externalId: "nobody-has-this") { id } }' },
  patchUserAttributes: {
    operation: 'mutation($id: ID!) { patchUserAttributes(id: $id, patch: { sampled: true }) { id } }',
    variables: withUser,
  },
  changeMyPassword: {
    operation: `mutation { changeMyPassword(currentPassword: "${SAMPLE_ADMIN_PASSWORD}", newPassword: "sampled-password-1") { accessToken } }`,
  },
  setUserPassword: {
    operation: 'mutation($id: ID!) { setUserPassword(id: $id, password: "sampled-password") { id } }',
    variables: withUser,
  },
  clearPassword: { operation: 'mutation($id: ID!) { clearPassword(id: $id) { id } }', variables: withUser },
  exportUserData: { operation: 'mutation($id: ID!) { exportUserData(id: $id) { url } }', variables: withUser },
  eraseUser: {
    operation: 'mutation($id: ID!) { eraseUser(id: $id, reason: "sampled") { id } }',
    variables: withUser,
  },
  updateUser: {
    operation: 'mutation($id: ID!) { updateUser(id: $id, input: { name: "Sampled", isActive: false }) { id } }',
    variables: withUser,
  },
  deleteUser: { operation: 'mutation($id: ID!) { deleteUser(id: $id) { id } }', variables: withUser },
  updateMe: { operation: 'mutation { updateMe(input: { firstName: "Sampled" }) { id } }' },
  activateUser: { operation: 'mutation($id: ID!) { activateUser(id: $id) { id } }', variables: withUser },
  deactivateUser: { operation: 'mutation($id: ID!) { deactivateUser(id: $id) { id } }', variables: withUser },
  suspendUser: { operation: 'mutation($id: ID!) { suspendUser(id: $id, reason: "sampled") { id } }', variables: withUser },
  unsuspendUser: { operation: 'mutation($id: ID!) { unsuspendUser(id: $id) { id } }', variables: withUser },
  restoreUser: {
    operation: 'mutation($id: ID!) { restoreUser(id: $id) { id } }',
    variables: (fx) => fx.deletedUser().then((id) => ({ id })),
  },
  bulkActivateUsers: { operation: 'mutation($ids: [ID!]!) { bulkActivateUsers(ids: $ids) { requested } }', variables: withIds },
  bulkDeactivateUsers: {
    operation: 'mutation($ids: [ID!]!) { bulkDeactivateUsers(ids: $ids) { requested } }',
    variables: withIds,
  },
  bulkDeleteUsers: { operation: 'mutation($ids: [ID!]!) { bulkDeleteUsers(ids: $ids) { requested } }', variables: withIds },
  bulkSuspendUsers: {
    operation: 'mutation($ids: [ID!]!) { bulkSuspendUsers(ids: $ids, reason: "sampled") { requested } }',
    variables: withIds,
  },
  importUsers: {
    operation: 'mutation($file: Upload!) { importUsers(file: $file, options: { dryRun: true }) { id status } }',
    variables: (fx) => Promise.resolve({ file: fx.upload(`email\nsample-${randomUUID()}@example.test\n`) }),
  },
  cancelUserImport: {
    operation: 'mutation($id: ID!) { cancelUserImport(id: $id) { id } }',
    variables: (fx) => fx.finishedImport().then((id) => ({ id })),
  },
  exportUsers: { operation: 'mutation { exportUsers(format: CSV) { url } }' },
  createWebhook: {
    operation: `mutation { createWebhook(url: "${SAMPLE_WEBHOOK_URL}", eventTypes: ["USER_CREATED"]) { secret } }`,
  },
  updateWebhook: { operation: 'mutation($id: ID!) { updateWebhook(id: $id, input: { description: "sampled" }) { id } }', variables: withWebhook },
  deleteWebhook: { operation: 'mutation($id: ID!) { deleteWebhook(id: $id) }', variables: withWebhook },
  rotateWebhookSecret: { operation: 'mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret } }', variables: withWebhook },

  // Subscription
  userCreated: subscription('userCreated'),
  userUpdated: subscription('userUpdated'),
  userDeleted: subscription('userDeleted'),
  userActivated: subscription('userActivated'),
  userDeactivated: subscription('userDeactivated'),
  userSuspended: subscription('userSuspended'),
  userBulkAction: subscription('userBulkAction'),
  userEvents: subscription('userEvents'),
  userImportProgress: {
    operation: 'subscription($id: ID!) { userImportProgress(id: $id) { id status } }',
    variables: (fx) => fx.finishedImport().then((id) => ({ id })),
  },
};

export function isPublicEntry(entry: RootFieldEntry): entry is { public: true } {
  return 'public' in entry;
}
