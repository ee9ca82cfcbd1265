/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n": typeof types.LoginDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation Refresh($token: String!) {\n    refreshToken(refreshToken: $token) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n": typeof types.RefreshDocument,
    "\n  mutation Logout($token: String!) { logout(refreshToken: $token) }\n": typeof types.LogoutDocument,
    "\n  query Me {\n    me { id email displayName usage { inputTokens outputTokens dailyTokenBudget remainingTokens } }\n    currentSession { id title topic { id title } }\n  }\n": typeof types.MeDocument,
    "\n  query Topics($search: String) {\n    topics(first: 100, search: $search) {\n      totalCount\n      edges { node { id title description progress { mastery cardsCount dueCardsCount minutesStudied } } }\n    }\n  }\n": typeof types.TopicsDocument,
    "\n  mutation CreateTopic($input: CreateTopicInput!) { createTopic(input: $input) { id title description } }\n": typeof types.CreateTopicDocument,
    "\n  mutation RenameTopic($id: ID!, $input: UpdateTopicInput!) { updateTopic(id: $id, input: $input) { id title description } }\n": typeof types.RenameTopicDocument,
    "\n  mutation DeleteTopic($id: ID!) { deleteTopic(id: $id) }\n": typeof types.DeleteTopicDocument,
    "\n  fragment MaterialFields on StudyMaterial { id filename contentType sizeBytes status error pageCount chunkCount createdAt }\n": typeof types.MaterialFieldsFragmentDoc,
    "\n  query Topic($id: ID!) {\n    topic(id: $id) {\n      id title description\n      progress { mastery cardsCount dueCardsCount reviewsCount minutesStudied nextReviewAt }\n      materials(first: 100) { totalCount edges { node { ...MaterialFields } } }\n      sessions(first: 10) { totalCount edges { node { id title mode startedAt active } } }\n    }\n  }\n": typeof types.TopicDocument,
    "\n  mutation UploadMaterial($topicId: ID!, $file: Upload!) {\n    uploadStudyMaterial(topicId: $topicId, file: $file) { ...MaterialFields }\n  }\n": typeof types.UploadMaterialDocument,
    "\n  mutation DeleteMaterial($id: ID!) { deleteStudyMaterial(id: $id) }\n": typeof types.DeleteMaterialDocument,
    "\n  subscription MaterialEvents($topicId: ID!) {\n    materialEvents(topicId: $topicId) {\n      kind materialId status progress { done total } material { ...MaterialFields }\n    }\n  }\n": typeof types.MaterialEventsDocument,
    "\n  query Models { models { id name provider isDefault } }\n": typeof types.ModelsDocument,
    "\n  mutation StartSession($input: StartStudySessionInput!) {\n    startStudySession(input: $input) { id title mode model topic { id } }\n  }\n": typeof types.StartSessionDocument,
    "\n  mutation EndSession($id: ID!) { endStudySession(id: $id) { id active } }\n": typeof types.EndSessionDocument,
    "\n  fragment MessageFields on Message {\n    id role content status mode model errorCode createdAt\n    parent { id }\n    citations { marker quote page startOffset material { id filename } }\n  }\n": typeof types.MessageFieldsFragmentDoc,
    "\n  query Session($id: ID!) {\n    studySession(id: $id) {\n      id title mode model active topic { id title }\n      messages(last: 100) { edges { node { ...MessageFields } } }\n    }\n  }\n": typeof types.SessionDocument,
    "\n  mutation Ask($input: SendMessageInput!) {\n    sendMessage(input: $input) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }\n  }\n": typeof types.AskDocument,
    "\n  mutation Stop($id: ID!) { stopGeneration(messageId: $id) { ...MessageFields } }\n": typeof types.StopDocument,
    "\n  mutation Regenerate($id: ID!, $model: String) {\n    regenerateMessage(messageId: $id, model: $model) { assistantMessage { ...MessageFields } }\n  }\n": typeof types.RegenerateDocument,
    "\n  mutation MoreDetail($id: ID!) {\n    giveMoreInfo(messageId: $id) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }\n  }\n": typeof types.MoreDetailDocument,
    "\n  subscription MessageEvents($id: ID!, $afterSeq: Int) {\n    messageEvents(messageId: $id, afterSeq: $afterSeq) {\n      __typename messageId seq\n      ... on MessageSnapshot { message { ...MessageFields } }\n      ... on MessageDelta { delta }\n      ... on MessageCompleted { message { ...MessageFields } }\n      ... on MessageCancelled { message { ...MessageFields } }\n      ... on MessageFailed { code retryable message { ...MessageFields } }\n    }\n  }\n": typeof types.MessageEventsDocument,
    "\n  subscription SessionEvents($id: ID!) {\n    sessionEvents(sessionId: $id) { __typename messageId seq }\n  }\n": typeof types.SessionEventsDocument,
    "\n  mutation CardsFromAnswer($topicId: ID!, $messageId: ID!) {\n    generateCards(topicId: $topicId, sourceMessageId: $messageId, count: 5) { id front }\n  }\n": typeof types.CardsFromAnswerDocument,
    "\n  query DueCards {\n    cards(first: 50, dueOnly: true) {\n      totalCount\n      edges { node { id front back state due reps reviewOutcomes { rating due } topic { id title } source { page quote material { filename } } } }\n    }\n  }\n": typeof types.DueCardsDocument,
    "\n  mutation Review($input: ReviewCardInput!) { reviewCard(input: $input) { id due state } }\n": typeof types.ReviewDocument,
    "\n  query Dashboard($from: Date) {\n    studyMetrics(from: $from) {\n      totalMinutes currentStreakDays longestStreakDays reviewsCount correctRate\n      daily { date minutes reviews }\n    }\n    topics(first: 50) { edges { node { id title progress { mastery dueCardsCount minutesStudied } } } }\n    nextUpTopics(limit: 5) { reason score dueCardsCount topic { id title } }\n    studyPlan(days: 7) {\n      days { date totalMinutes items { minutes mode reason dueCardsCount topic { id title } } }\n      exams { goalId dueDate targetMastery predictedMastery topic { title } }\n    }\n    studyGoals { id title dueDate targetMastery targetMinutesPerWeek status progress topic { id title } }\n  }\n": typeof types.DashboardDocument,
    "\n  mutation SetGoal($input: StudyGoalInput!) { setStudyGoal(input: $input) { id title dueDate } }\n": typeof types.SetGoalDocument,
    "\n  mutation DeleteGoal($id: ID!) { deleteStudyGoal(id: $id) }\n": typeof types.DeleteGoalDocument,
    "\n  query ServerInfo { serverInfo { version developerTools } }\n": typeof types.ServerInfoDocument,
};
const documents: Documents = {
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n": types.LoginDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n": types.RegisterDocument,
    "\n  mutation Refresh($token: String!) {\n    refreshToken(refreshToken: $token) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n": types.RefreshDocument,
    "\n  mutation Logout($token: String!) { logout(refreshToken: $token) }\n": types.LogoutDocument,
    "\n  query Me {\n    me { id email displayName usage { inputTokens outputTokens dailyTokenBudget remainingTokens } }\n    currentSession { id title topic { id title } }\n  }\n": types.MeDocument,
    "\n  query Topics($search: String) {\n    topics(first: 100, search: $search) {\n      totalCount\n      edges { node { id title description progress { mastery cardsCount dueCardsCount minutesStudied } } }\n    }\n  }\n": types.TopicsDocument,
    "\n  mutation CreateTopic($input: CreateTopicInput!) { createTopic(input: $input) { id title description } }\n": types.CreateTopicDocument,
    "\n  mutation RenameTopic($id: ID!, $input: UpdateTopicInput!) { updateTopic(id: $id, input: $input) { id title description } }\n": types.RenameTopicDocument,
    "\n  mutation DeleteTopic($id: ID!) { deleteTopic(id: $id) }\n": types.DeleteTopicDocument,
    "\n  fragment MaterialFields on StudyMaterial { id filename contentType sizeBytes status error pageCount chunkCount createdAt }\n": types.MaterialFieldsFragmentDoc,
    "\n  query Topic($id: ID!) {\n    topic(id: $id) {\n      id title description\n      progress { mastery cardsCount dueCardsCount reviewsCount minutesStudied nextReviewAt }\n      materials(first: 100) { totalCount edges { node { ...MaterialFields } } }\n      sessions(first: 10) { totalCount edges { node { id title mode startedAt active } } }\n    }\n  }\n": types.TopicDocument,
    "\n  mutation UploadMaterial($topicId: ID!, $file: Upload!) {\n    uploadStudyMaterial(topicId: $topicId, file: $file) { ...MaterialFields }\n  }\n": types.UploadMaterialDocument,
    "\n  mutation DeleteMaterial($id: ID!) { deleteStudyMaterial(id: $id) }\n": types.DeleteMaterialDocument,
    "\n  subscription MaterialEvents($topicId: ID!) {\n    materialEvents(topicId: $topicId) {\n      kind materialId status progress { done total } material { ...MaterialFields }\n    }\n  }\n": types.MaterialEventsDocument,
    "\n  query Models { models { id name provider isDefault } }\n": types.ModelsDocument,
    "\n  mutation StartSession($input: StartStudySessionInput!) {\n    startStudySession(input: $input) { id title mode model topic { id } }\n  }\n": types.StartSessionDocument,
    "\n  mutation EndSession($id: ID!) { endStudySession(id: $id) { id active } }\n": types.EndSessionDocument,
    "\n  fragment MessageFields on Message {\n    id role content status mode model errorCode createdAt\n    parent { id }\n    citations { marker quote page startOffset material { id filename } }\n  }\n": types.MessageFieldsFragmentDoc,
    "\n  query Session($id: ID!) {\n    studySession(id: $id) {\n      id title mode model active topic { id title }\n      messages(last: 100) { edges { node { ...MessageFields } } }\n    }\n  }\n": types.SessionDocument,
    "\n  mutation Ask($input: SendMessageInput!) {\n    sendMessage(input: $input) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }\n  }\n": types.AskDocument,
    "\n  mutation Stop($id: ID!) { stopGeneration(messageId: $id) { ...MessageFields } }\n": types.StopDocument,
    "\n  mutation Regenerate($id: ID!, $model: String) {\n    regenerateMessage(messageId: $id, model: $model) { assistantMessage { ...MessageFields } }\n  }\n": types.RegenerateDocument,
    "\n  mutation MoreDetail($id: ID!) {\n    giveMoreInfo(messageId: $id) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }\n  }\n": types.MoreDetailDocument,
    "\n  subscription MessageEvents($id: ID!, $afterSeq: Int) {\n    messageEvents(messageId: $id, afterSeq: $afterSeq) {\n      __typename messageId seq\n      ... on MessageSnapshot { message { ...MessageFields } }\n      ... on MessageDelta { delta }\n      ... on MessageCompleted { message { ...MessageFields } }\n      ... on MessageCancelled { message { ...MessageFields } }\n      ... on MessageFailed { code retryable message { ...MessageFields } }\n    }\n  }\n": types.MessageEventsDocument,
    "\n  subscription SessionEvents($id: ID!) {\n    sessionEvents(sessionId: $id) { __typename messageId seq }\n  }\n": types.SessionEventsDocument,
    "\n  mutation CardsFromAnswer($topicId: ID!, $messageId: ID!) {\n    generateCards(topicId: $topicId, sourceMessageId: $messageId, count: 5) { id front }\n  }\n": types.CardsFromAnswerDocument,
    "\n  query DueCards {\n    cards(first: 50, dueOnly: true) {\n      totalCount\n      edges { node { id front back state due reps reviewOutcomes { rating due } topic { id title } source { page quote material { filename } } } }\n    }\n  }\n": types.DueCardsDocument,
    "\n  mutation Review($input: ReviewCardInput!) { reviewCard(input: $input) { id due state } }\n": types.ReviewDocument,
    "\n  query Dashboard($from: Date) {\n    studyMetrics(from: $from) {\n      totalMinutes currentStreakDays longestStreakDays reviewsCount correctRate\n      daily { date minutes reviews }\n    }\n    topics(first: 50) { edges { node { id title progress { mastery dueCardsCount minutesStudied } } } }\n    nextUpTopics(limit: 5) { reason score dueCardsCount topic { id title } }\n    studyPlan(days: 7) {\n      days { date totalMinutes items { minutes mode reason dueCardsCount topic { id title } } }\n      exams { goalId dueDate targetMastery predictedMastery topic { title } }\n    }\n    studyGoals { id title dueDate targetMastery targetMinutesPerWeek status progress topic { id title } }\n  }\n": types.DashboardDocument,
    "\n  mutation SetGoal($input: StudyGoalInput!) { setStudyGoal(input: $input) { id title dueDate } }\n": types.SetGoalDocument,
    "\n  mutation DeleteGoal($id: ID!) { deleteStudyGoal(id: $id) }\n": types.DeleteGoalDocument,
    "\n  query ServerInfo { serverInfo { version developerTools } }\n": types.ServerInfoDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n"): (typeof documents)["\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refresh($token: String!) {\n    refreshToken(refreshToken: $token) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n"): (typeof documents)["\n  mutation Refresh($token: String!) {\n    refreshToken(refreshToken: $token) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Logout($token: String!) { logout(refreshToken: $token) }\n"): (typeof documents)["\n  mutation Logout($token: String!) { logout(refreshToken: $token) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me { id email displayName usage { inputTokens outputTokens dailyTokenBudget remainingTokens } }\n    currentSession { id title topic { id title } }\n  }\n"): (typeof documents)["\n  query Me {\n    me { id email displayName usage { inputTokens outputTokens dailyTokenBudget remainingTokens } }\n    currentSession { id title topic { id title } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Topics($search: String) {\n    topics(first: 100, search: $search) {\n      totalCount\n      edges { node { id title description progress { mastery cardsCount dueCardsCount minutesStudied } } }\n    }\n  }\n"): (typeof documents)["\n  query Topics($search: String) {\n    topics(first: 100, search: $search) {\n      totalCount\n      edges { node { id title description progress { mastery cardsCount dueCardsCount minutesStudied } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateTopic($input: CreateTopicInput!) { createTopic(input: $input) { id title description } }\n"): (typeof documents)["\n  mutation CreateTopic($input: CreateTopicInput!) { createTopic(input: $input) { id title description } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RenameTopic($id: ID!, $input: UpdateTopicInput!) { updateTopic(id: $id, input: $input) { id title description } }\n"): (typeof documents)["\n  mutation RenameTopic($id: ID!, $input: UpdateTopicInput!) { updateTopic(id: $id, input: $input) { id title description } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteTopic($id: ID!) { deleteTopic(id: $id) }\n"): (typeof documents)["\n  mutation DeleteTopic($id: ID!) { deleteTopic(id: $id) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MaterialFields on StudyMaterial { id filename contentType sizeBytes status error pageCount chunkCount createdAt }\n"): (typeof documents)["\n  fragment MaterialFields on StudyMaterial { id filename contentType sizeBytes status error pageCount chunkCount createdAt }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Topic($id: ID!) {\n    topic(id: $id) {\n      id title description\n      progress { mastery cardsCount dueCardsCount reviewsCount minutesStudied nextReviewAt }\n      materials(first: 100) { totalCount edges { node { ...MaterialFields } } }\n      sessions(first: 10) { totalCount edges { node { id title mode startedAt active } } }\n    }\n  }\n"): (typeof documents)["\n  query Topic($id: ID!) {\n    topic(id: $id) {\n      id title description\n      progress { mastery cardsCount dueCardsCount reviewsCount minutesStudied nextReviewAt }\n      materials(first: 100) { totalCount edges { node { ...MaterialFields } } }\n      sessions(first: 10) { totalCount edges { node { id title mode startedAt active } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UploadMaterial($topicId: ID!, $file: Upload!) {\n    uploadStudyMaterial(topicId: $topicId, file: $file) { ...MaterialFields }\n  }\n"): (typeof documents)["\n  mutation UploadMaterial($topicId: ID!, $file: Upload!) {\n    uploadStudyMaterial(topicId: $topicId, file: $file) { ...MaterialFields }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteMaterial($id: ID!) { deleteStudyMaterial(id: $id) }\n"): (typeof documents)["\n  mutation DeleteMaterial($id: ID!) { deleteStudyMaterial(id: $id) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MaterialEvents($topicId: ID!) {\n    materialEvents(topicId: $topicId) {\n      kind materialId status progress { done total } material { ...MaterialFields }\n    }\n  }\n"): (typeof documents)["\n  subscription MaterialEvents($topicId: ID!) {\n    materialEvents(topicId: $topicId) {\n      kind materialId status progress { done total } material { ...MaterialFields }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Models { models { id name provider isDefault } }\n"): (typeof documents)["\n  query Models { models { id name provider isDefault } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation StartSession($input: StartStudySessionInput!) {\n    startStudySession(input: $input) { id title mode model topic { id } }\n  }\n"): (typeof documents)["\n  mutation StartSession($input: StartStudySessionInput!) {\n    startStudySession(input: $input) { id title mode model topic { id } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation EndSession($id: ID!) { endStudySession(id: $id) { id active } }\n"): (typeof documents)["\n  mutation EndSession($id: ID!) { endStudySession(id: $id) { id active } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment MessageFields on Message {\n    id role content status mode model errorCode createdAt\n    parent { id }\n    citations { marker quote page startOffset material { id filename } }\n  }\n"): (typeof documents)["\n  fragment MessageFields on Message {\n    id role content status mode model errorCode createdAt\n    parent { id }\n    citations { marker quote page startOffset material { id filename } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Session($id: ID!) {\n    studySession(id: $id) {\n      id title mode model active topic { id title }\n      messages(last: 100) { edges { node { ...MessageFields } } }\n    }\n  }\n"): (typeof documents)["\n  query Session($id: ID!) {\n    studySession(id: $id) {\n      id title mode model active topic { id title }\n      messages(last: 100) { edges { node { ...MessageFields } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Ask($input: SendMessageInput!) {\n    sendMessage(input: $input) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }\n  }\n"): (typeof documents)["\n  mutation Ask($input: SendMessageInput!) {\n    sendMessage(input: $input) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Stop($id: ID!) { stopGeneration(messageId: $id) { ...MessageFields } }\n"): (typeof documents)["\n  mutation Stop($id: ID!) { stopGeneration(messageId: $id) { ...MessageFields } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Regenerate($id: ID!, $model: String) {\n    regenerateMessage(messageId: $id, model: $model) { assistantMessage { ...MessageFields } }\n  }\n"): (typeof documents)["\n  mutation Regenerate($id: ID!, $model: String) {\n    regenerateMessage(messageId: $id, model: $model) { assistantMessage { ...MessageFields } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MoreDetail($id: ID!) {\n    giveMoreInfo(messageId: $id) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }\n  }\n"): (typeof documents)["\n  mutation MoreDetail($id: ID!) {\n    giveMoreInfo(messageId: $id) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MessageEvents($id: ID!, $afterSeq: Int) {\n    messageEvents(messageId: $id, afterSeq: $afterSeq) {\n      __typename messageId seq\n      ... on MessageSnapshot { message { ...MessageFields } }\n      ... on MessageDelta { delta }\n      ... on MessageCompleted { message { ...MessageFields } }\n      ... on MessageCancelled { message { ...MessageFields } }\n      ... on MessageFailed { code retryable message { ...MessageFields } }\n    }\n  }\n"): (typeof documents)["\n  subscription MessageEvents($id: ID!, $afterSeq: Int) {\n    messageEvents(messageId: $id, afterSeq: $afterSeq) {\n      __typename messageId seq\n      ... on MessageSnapshot { message { ...MessageFields } }\n      ... on MessageDelta { delta }\n      ... on MessageCompleted { message { ...MessageFields } }\n      ... on MessageCancelled { message { ...MessageFields } }\n      ... on MessageFailed { code retryable message { ...MessageFields } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription SessionEvents($id: ID!) {\n    sessionEvents(sessionId: $id) { __typename messageId seq }\n  }\n"): (typeof documents)["\n  subscription SessionEvents($id: ID!) {\n    sessionEvents(sessionId: $id) { __typename messageId seq }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CardsFromAnswer($topicId: ID!, $messageId: ID!) {\n    generateCards(topicId: $topicId, sourceMessageId: $messageId, count: 5) { id front }\n  }\n"): (typeof documents)["\n  mutation CardsFromAnswer($topicId: ID!, $messageId: ID!) {\n    generateCards(topicId: $topicId, sourceMessageId: $messageId, count: 5) { id front }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DueCards {\n    cards(first: 50, dueOnly: true) {\n      totalCount\n      edges { node { id front back state due reps reviewOutcomes { rating due } topic { id title } source { page quote material { filename } } } }\n    }\n  }\n"): (typeof documents)["\n  query DueCards {\n    cards(first: 50, dueOnly: true) {\n      totalCount\n      edges { node { id front back state due reps reviewOutcomes { rating due } topic { id title } source { page quote material { filename } } } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Review($input: ReviewCardInput!) { reviewCard(input: $input) { id due state } }\n"): (typeof documents)["\n  mutation Review($input: ReviewCardInput!) { reviewCard(input: $input) { id due state } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Dashboard($from: Date) {\n    studyMetrics(from: $from) {\n      totalMinutes currentStreakDays longestStreakDays reviewsCount correctRate\n      daily { date minutes reviews }\n    }\n    topics(first: 50) { edges { node { id title progress { mastery dueCardsCount minutesStudied } } } }\n    nextUpTopics(limit: 5) { reason score dueCardsCount topic { id title } }\n    studyPlan(days: 7) {\n      days { date totalMinutes items { minutes mode reason dueCardsCount topic { id title } } }\n      exams { goalId dueDate targetMastery predictedMastery topic { title } }\n    }\n    studyGoals { id title dueDate targetMastery targetMinutesPerWeek status progress topic { id title } }\n  }\n"): (typeof documents)["\n  query Dashboard($from: Date) {\n    studyMetrics(from: $from) {\n      totalMinutes currentStreakDays longestStreakDays reviewsCount correctRate\n      daily { date minutes reviews }\n    }\n    topics(first: 50) { edges { node { id title progress { mastery dueCardsCount minutesStudied } } } }\n    nextUpTopics(limit: 5) { reason score dueCardsCount topic { id title } }\n    studyPlan(days: 7) {\n      days { date totalMinutes items { minutes mode reason dueCardsCount topic { id title } } }\n      exams { goalId dueDate targetMastery predictedMastery topic { title } }\n    }\n    studyGoals { id title dueDate targetMastery targetMinutesPerWeek status progress topic { id title } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetGoal($input: StudyGoalInput!) { setStudyGoal(input: $input) { id title dueDate } }\n"): (typeof documents)["\n  mutation SetGoal($input: StudyGoalInput!) { setStudyGoal(input: $input) { id title dueDate } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeleteGoal($id: ID!) { deleteStudyGoal(id: $id) }\n"): (typeof documents)["\n  mutation DeleteGoal($id: ID!) { deleteStudyGoal(id: $id) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ServerInfo { serverInfo { version developerTools } }\n"): (typeof documents)["\n  query ServerInfo { serverInfo { version developerTools } }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;