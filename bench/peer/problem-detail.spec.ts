import { problemDetail } from './problem-detail';

describe('problemDetail', () => {
  it("should give a problem+json body's detail, else its title", () => {
    expect(problemDetail('{"title":"Service Unavailable","status":503,"detail":"No app server answered."}')).toBe('No app server answered.');
    expect(problemDetail('{"title":"Internal Server Error","status":500}')).toBe('Internal Server Error');
  });

  it("should give the start of a body that is not JSON (nginx's own error page)", () => {
    expect(problemDetail('<html><head><title>502 Bad Gateway</title></head></html>')).toBe('<html><head><title>502 Bad Gateway</title></head></html>');
  });
});
