// Type-checked against the client generated from the README's recipe and operations:
// each line fails `tsc` if a scalar, a field or a variable is typed wrongly.
import type {
  DashboardQuery,
  StartMutationVariables,
  StudyWeekQuery,
  TopicsPageQuery,
  UploadMaterialMutationVariables,
} from "./gql/graphql";

declare const dashboard: DashboardQuery;
declare const page: TopicsPageQuery;
declare const week: StudyWeekQuery;

// DateTime and Date are ISO strings (unknown without the recipe's scalars).
export const startedAt: string | undefined =
  dashboard.topics.edges[0]?.node.sessions.edges[0]?.node.startedAt;
export const createdAt: string | undefined = page.topics.edges[0]?.node.createdAt;
export const day: string | undefined = week.studyMetrics.daily[0]?.date;
export const from: string = week.studyMetrics.from;

// Upload is a browser File.
export const upload: UploadMaterialMutationVariables = {
  topicId: "VG9waWM6MQ==",
  file: new File(["A loop repeats."], "notes.md"),
};
export const file: File = upload.file;

// Enums are string unions: a mode outside the schema does not compile.
export const start: StartMutationVariables = { topicId: "VG9waWM6MQ==" };
export const hasNext: boolean = page.topics.pageInfo.hasNextPage;
