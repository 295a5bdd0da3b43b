// The producer answers errors in the shape both apps share (libs/platform/src/http); its handlers
// and refusal builders import it from here.
export { ApiError, errorResponse, type ErrorBody, type ErrorResponse } from '@vowchat/platform';
