import { CreateArticles1732240000000 } from './1732240000000-create-articles';
import { CreateConduit1796076280723 } from './1796076280723-create-conduit';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [CreateArticles1732240000000, CreateConduit1796076280723];
