import { CreateArticles1732240000000 } from './1732240000000-create-articles';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [CreateArticles1732240000000];
