// Every operation the app sends, typed by GraphQL Code Generator (npm run codegen).
import { graphql } from "../gql";


export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }
  }
`);

export const RegisterMutation = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }
  }
`);

export const RefreshMutation = graphql(`
  mutation Refresh($token: String!) {
    refreshToken(refreshToken: $token) { accessToken refreshToken accessTokenExpiresAt user { id email displayName } }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout($token: String!) { logout(refreshToken: $token) }
`);

export const MeQuery = graphql(`
  query Me {
    me { id email displayName usage { inputTokens outputTokens dailyTokenBudget remainingTokens } }
    currentSession { id title topic { id title } }
  }
`);

export const TopicsQuery = graphql(`
  query Topics($search: String) {
    topics(first: 100, search: $search) {
      totalCount
      edges { node { id title description progress { mastery cardsCount dueCardsCount minutesStudied } } }
    }
  }
`);

export const CreateTopicMutation = graphql(`
  mutation CreateTopic($input: CreateTopicInput!) { createTopic(input: $input) { id title description } }
`);

export const UpdateTopicMutation = graphql(`
  mutation RenameTopic($id: ID!, $input: UpdateTopicInput!) { updateTopic(id: $id, input: $input) { id title description } }
`);

export const DeleteTopicMutation = graphql(`
  mutation DeleteTopic($id: ID!) { deleteTopic(id: $id) }
`);

export const MaterialFields = graphql(`
  fragment MaterialFields on StudyMaterial { id filename contentType sizeBytes status error pageCount chunkCount createdAt }
`);

export const TopicQuery = graphql(`
  query Topic($id: ID!) {
    topic(id: $id) {
      id title description
      progress { mastery cardsCount dueCardsCount reviewsCount minutesStudied nextReviewAt }
      materials(first: 100) { totalCount edges { node { ...MaterialFields } } }
      sessions(first: 10) { totalCount edges { node { id title mode startedAt active } } }
    }
  }
`);

export const UploadMutation = graphql(`
  mutation UploadMaterial($topicId: ID!, $file: Upload!) {
    uploadStudyMaterial(topicId: $topicId, file: $file) { ...MaterialFields }
  }
`);

export const DeleteMaterialMutation = graphql(`
  mutation DeleteMaterial($id: ID!) { deleteStudyMaterial(id: $id) }
`);

export const MaterialEventsSubscription = graphql(`
  subscription MaterialEvents($topicId: ID!) {
    materialEvents(topicId: $topicId) {
      kind materialId status progress { done total } material { ...MaterialFields }
    }
  }
`);

export const ModelsQuery = graphql(`
  query Models { models { id name provider isDefault } }
`);

export const StartSessionMutation = graphql(`
  mutation StartSession($input: StartStudySessionInput!) {
    startStudySession(input: $input) { id title mode model topic { id } }
  }
`);

export const EndSessionMutation = graphql(`
  mutation EndSession($id: ID!) { endStudySession(id: $id) { id active } }
`);

export const MessageFields = graphql(`
  fragment MessageFields on Message {
    id role content status mode model errorCode createdAt
    parent { id }
    citations { marker quote page startOffset material { id filename } }
  }
`);

export const SessionQuery = graphql(`
  query Session($id: ID!) {
    studySession(id: $id) {
      id title mode model active topic { id title }
      messages(last: 100) { edges { node { ...MessageFields } } }
    }
  }
`);

export const SendMessageMutation = graphql(`
  mutation Ask($input: SendMessageInput!) {
    sendMessage(input: $input) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }
  }
`);

export const StopMutation = graphql(`
  mutation Stop($id: ID!) { stopGeneration(messageId: $id) { ...MessageFields } }
`);

export const RegenerateMutation = graphql(`
  mutation Regenerate($id: ID!, $model: String) {
    regenerateMessage(messageId: $id, model: $model) { assistantMessage { ...MessageFields } }
  }
`);

export const MoreDetailMutation = graphql(`
  mutation MoreDetail($id: ID!) {
    giveMoreInfo(messageId: $id) { userMessage { ...MessageFields } assistantMessage { ...MessageFields } }
  }
`);

export const MessageEventsSubscription = graphql(`
  subscription MessageEvents($id: ID!, $afterSeq: Int) {
    messageEvents(messageId: $id, afterSeq: $afterSeq) {
      __typename messageId seq
      ... on MessageSnapshot { message { ...MessageFields } }
      ... on MessageDelta { delta }
      ... on MessageCompleted { message { ...MessageFields } }
      ... on MessageCancelled { message { ...MessageFields } }
      ... on MessageFailed { code retryable message { ...MessageFields } }
    }
  }
`);

export const SessionEventsSubscription = graphql(`
  subscription SessionEvents($id: ID!) {
    sessionEvents(sessionId: $id) { __typename messageId seq }
  }
`);

export const GenerateCardsMutation = graphql(`
  mutation CardsFromAnswer($topicId: ID!, $messageId: ID!) {
    generateCards(topicId: $topicId, sourceMessageId: $messageId, count: 5) { id front }
  }
`);

export const DueCardsQuery = graphql(`
  query DueCards {
    cards(first: 50, dueOnly: true) {
      totalCount
      edges { node { id front back state due reps reviewOutcomes { rating due } topic { id title } source { page quote material { filename } } } }
    }
  }
`);

export const ReviewMutation = graphql(`
  mutation Review($input: ReviewCardInput!) { reviewCard(input: $input) { id due state } }
`);

export const DashboardQuery = graphql(`
  query Dashboard($from: Date) {
    studyMetrics(from: $from) {
      totalMinutes currentStreakDays longestStreakDays reviewsCount correctRate
      daily { date minutes reviews }
    }
    topics(first: 50) { edges { node { id title progress { mastery dueCardsCount minutesStudied } } } }
    nextUpTopics(limit: 5) { reason score dueCardsCount topic { id title } }
    studyPlan(days: 7) {
      days { date totalMinutes items { minutes mode reason dueCardsCount topic { id title } } }
      exams { goalId dueDate targetMastery predictedMastery topic { title } }
    }
    studyGoals { id title dueDate targetMastery targetMinutesPerWeek status progress topic { id title } }
  }
`);

export const SetGoalMutation = graphql(`
  mutation SetGoal($input: StudyGoalInput!) { setStudyGoal(input: $input) { id title dueDate } }
`);

export const DeleteGoalMutation = graphql(`
  mutation DeleteGoal($id: ID!) { deleteStudyGoal(id: $id) }
`);

export const ServerInfoQuery = graphql(`
  query ServerInfo { serverInfo { version developerTools } }
`);
